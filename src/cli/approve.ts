import { z } from 'zod';
import { signEd25519, toHex } from '../crypto/index.js';
import { buildApprovalMessage, parseApprovalMessage } from '../quorum/approval-message.js';
import { unixSecondsToRfc3339 } from '../quorum/deploy-view.js';
import { parseOptions, type CliIo } from './io.js';
import { readApproverKeyFile } from './keygen.js';

const USAGE = `usage: codex-gateway approve --url URL --api-key KEY --key FILE [--approver NAME] [--yes] DEPLOY_ID
the API key may also come from CODEX_API_KEY; the approver name defaults to the one in the key file`;

const DEPLOY_ID = /^[0-9a-f]{32,128}$/;

/** What GET /v1/deploys/:id answers (PROTOCOL §5); anything else is refused. */
const viewSchema = z.object({
  id: z.string(),
  state: z.enum(['pending', 'approved', 'expired']),
  threshold: z.number().int(),
  approvers: z.array(z.string()),
  approvedBy: z.array(z.string()),
  expiresAt: z.string(),
  message: z.string().max(1024),
});

/** Bounded wait for the server, so a stuck connection never hangs an approver's terminal. */
const HTTP_TIMEOUT_MS = 15_000;

/**
 * `codex-gateway approve`: fetches the deploy, rebuilds the approval message locally from
 * the fields the server shows and refuses if the server's text differs in any byte (or
 * names another deploy or expiry), shows what is being approved, asks for confirmation
 * unless `--yes`, then signs with the approver's key and posts the approval.
 * Exit codes: 0 approved/recorded, 1 refused or failed, 2 usage.
 */
export async function approveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const opts = parseOptions(args, {
    values: ['url', 'api-key', 'key', 'approver'],
    flags: ['yes'],
  });
  const one = (name: string): string | undefined => opts.values.get(name)?.[0];
  const url = one('url');
  const apiKey = one('api-key') ?? process.env.CODEX_API_KEY;
  const keyFile = one('key');
  const deployId = opts.positional[0];
  if (
    url === undefined ||
    apiKey === undefined ||
    keyFile === undefined ||
    deployId === undefined ||
    opts.positional.length !== 1
  ) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const fail = (text: string): number => {
    io.err(`codex-gateway approve: ${text}\n`);
    return 1;
  };
  if (!DEPLOY_ID.test(deployId))
    return fail('DEPLOY_ID must be the lowercase hex id the gateway issued');

  const key = readApproverKeyFile(keyFile);
  const approver = one('approver') ?? key.approver;
  if (approver === undefined)
    return fail('no approver name: pass --approver NAME or keygen --name');

  const target = new URL(`/v1/deploys/${deployId}`, url);
  const got = await fetch(target, {
    headers: { 'x-api-key': apiKey },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (got.status !== 200)
    return fail(`GET ${target.pathname} answered ${got.status} ${await problemCode(got)}`);
  const view = viewSchema.safeParse(await got.json().catch(() => undefined));
  if (!view.success) return fail('the server answered something that is not a deploy');
  const deploy = view.data;

  // The message is what gets signed: prove it says exactly what is shown, for this deploy.
  const fields = parseApprovalMessage(deploy.message);
  if (fields === undefined || buildApprovalMessage(fields) !== deploy.message)
    return fail("REFUSED: the server's message is not a well-formed codex-approval/v1 message");
  if (deploy.id !== deployId || fields.deploy !== deployId)
    return fail("REFUSED: the server's message is for another deploy");
  if (unixSecondsToRfc3339(fields.expires) !== deploy.expiresAt)
    return fail("REFUSED: the message's expiry differs from the deploy's expiresAt");
  if (deploy.state !== 'pending') return fail(`deploy is ${deploy.state}; nothing to approve`);
  if (!deploy.approvers.includes(approver))
    return fail(`${approver} is not an approver of this deploy (${deploy.approvers.join(', ')})`);
  if (Date.now() > fields.expires * 1000) return fail('deploy has expired');

  io.out(
    [
      `You are approving, as ${approver} (key ${toHex(key.publicKey)}):`,
      `  deploy       ${fields.deploy}`,
      `  action       ${fields.action}`,
      `  target       ${fields.target}`,
      `  environment  ${fields.environment}`,
      `  artifact     ${fields.artifact}`,
      `  request      ${fields.request}`,
      `  policy       ${fields.policy}`,
      `  expires      ${deploy.expiresAt}`,
      `  approvals    ${deploy.approvedBy.length}/${deploy.threshold} so far${deploy.approvedBy.length > 0 ? ` (${deploy.approvedBy.join(', ')})` : ''}`,
      '',
    ].join('\n'),
  );
  if (!opts.flags.has('yes')) {
    if (io.prompt === undefined) return fail('no terminal to confirm on; pass --yes to approve');
    const answer = (await io.prompt('Sign and submit this approval? [y/N] ')).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') return fail('not approved');
  }

  const signature = toHex(signEd25519(new TextEncoder().encode(deploy.message), key.secretKey));
  const posted = await fetch(new URL(`/v1/deploys/${deployId}/approvals`, url), {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ approver, signature }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (posted.status !== 200)
    return fail(`approval refused: ${posted.status} ${await problemCode(posted)}`);
  const after = viewSchema.safeParse(await posted.json().catch(() => undefined));
  const state = after.success ? after.data.state : 'unknown';
  const count = after.success ? `${after.data.approvedBy.length}/${after.data.threshold}` : '?';
  io.out(`approval recorded: deploy ${deployId} is ${state} (${count})\n`);
  return 0;
}

/** The problem+json `code` of a refusal, or an empty string. Never echoes other content. */
async function problemCode(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { code?: unknown };
    return typeof body.code === 'string' && /^[a-z_]{1,40}$/.test(body.code) ? body.code : '';
  } catch {
    return '';
  }
}
