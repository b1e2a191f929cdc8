import { z } from 'zod';
import type { BoundedResponse } from '../client/http.js';
import { parseSshsigBlob, dearmorSshSignature, signEd25519, toHex } from '../crypto/index.js';
import { APPROVER_NAME_PATTERN, MAX_QUORUM_TTL_SECONDS } from '../policy/schema.js';
import { buildApprovalMessage, parseApprovalMessage } from '../quorum/approval-message.js';
import { verifySshApproval } from '../quorum/ssh-approval.js';
import { unixSecondsToRfc3339 } from '../quorum/deploy-state.js';
import { runCommand, usageError, type CliCommand } from './command.js';
import type { CliIo } from './io.js';
import { readApproverKeyFile } from './keygen.js';
import { readSshPublicKey, sshKeygenSign } from './ssh-sign.js';
import { failureReason, shown } from './render.js';
import { callServer } from './server-call.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/** A name as a policy can define it; a server showing any other name is lying. */
const approverName = z.string().regex(APPROVER_NAME_PATTERN);

/**
 * What GET /v1/deploys/:id answers (docs/protocol.md §5); anything else is refused. Every string is
 * held to its grammar, so no server text reaches the terminal unchecked.
 */
const viewSchema = z.object({
  id: z.string().regex(DEPLOY_ID),
  state: z.enum(['pending', 'approved', 'expired']),
  threshold: z.number().int().min(1).max(16),
  approvers: z.array(approverName).min(1).max(16),
  approvedBy: z.array(approverName).max(16),
  expiresAt: z.string().regex(/^[0-9+-][0-9T:.Z-]{0,39}$/),
  message: z.string().max(1024),
});

/** Largest deploy view read; an honest one is well under 4 KiB. */
const MAX_VIEW_BYTES = 64 * 1024;
/** Clock difference between gateway and approver tolerated before the TTL warning. */
const CLOCK_SLACK_SECONDS = 300;

/**
 * `codex-gateway approve`: fetches the deploy, rebuilds the approval message locally from
 * the fields the server shows and refuses if the server's text differs in any byte (or
 * names another deploy or expiry), shows what is being approved, asks for confirmation
 * unless `--yes`, then signs with the approver's key and posts the approval.
 * Exit codes: 0 approved/recorded, 1 refused or failed, 2 usage.
 */
export const command: CliCommand = {
  name: 'approve',
  summary: 'Show a pending deploy, check its message, and sign and submit your approval.',
  options: {
    url: { type: 'string', value: 'URL', description: 'gateway base URL (required)' },
    'api-key': {
      type: 'string',
      value: 'KEY',
      description: 'API key with approvals:write [$CODEX_API_KEY]',
    },
    key: {
      type: 'string',
      value: 'FILE',
      description: 'approver key file made by keygen (this or --ssh-key)',
    },
    'ssh-key': {
      type: 'string',
      value: 'PATH',
      description:
        'sign with ssh-keygen -Y sign -f PATH (SSH key, security key, or .pub in ssh-agent)',
    },
    approver: {
      type: 'string',
      value: 'NAME',
      description: 'approver name [the name in the key file]',
    },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'approve without asking (required without a terminal)',
    },
  },
  positionals: { usage: 'DEPLOY_ID', min: 1, max: 1 },
  notes: 'exit 0 approval recorded, 1 refused or failed, 2 usage',
  run: async (args, io) => {
    const url = args.string('url');
    const apiKey = args.string('api-key') ?? process.env.CODEX_API_KEY;
    const keyFile = args.string('key');
    if (url === undefined) return usageError(io, command, 'missing --url URL');
    const sshKeyPath = args.string('ssh-key');
    // Exactly one way to sign.
    if ((keyFile === undefined) === (sshKeyPath === undefined))
      return usageError(io, command, 'give exactly one of --key FILE or --ssh-key PATH');
    if (apiKey === undefined)
      return usageError(io, command, 'no API key: set CODEX_API_KEY or pass --api-key');
    // Consent comes from a person at a terminal or from an explicit --yes; text piped into
    // stdin is not a person. Refuse before any network traffic.
    if (!args.flag('yes') && io.prompt === undefined) {
      io.err(
        'codex-gateway approve: no terminal to confirm on; pass --yes to approve from a script\n',
      );
      return 1;
    }
    return approve(
      {
        url,
        apiKey,
        keyFile,
        sshKeyPath,
        deployId: args.positionals[0]!,
        approver: args.string('approver'),
        yes: args.flag('yes'),
      },
      io,
    );
  },
};

/** Runs `approve` with argv-style arguments (tests and scripts). */
export async function approveCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(command, args, io);
}

interface ApproveRequest {
  readonly url: string;
  readonly apiKey: string;
  readonly keyFile: string | undefined;
  readonly sshKeyPath: string | undefined;
  readonly deployId: string;
  readonly approver: string | undefined;
  readonly yes: boolean;
}

async function approve(r: ApproveRequest, io: CliIo): Promise<number> {
  const { url, apiKey, keyFile, sshKeyPath, deployId } = r;
  const fail = (text: string): number => {
    io.err(`codex-gateway approve: ${text}\n`);
    return 1;
  };
  /** A request that did not complete (network, redirect, size, deadline): one FAILED line. */
  const failed = (err: unknown): number => fail(`FAILED: ${failureReason(err)}`);
  if (!DEPLOY_ID.test(deployId))
    return fail('DEPLOY_ID must be the lowercase hex id the gateway issued');

  // Either a codex key file (raw Ed25519) or an SSH key that ssh-keygen signs with (§12).
  const key = keyFile === undefined ? undefined : readApproverKeyFile(keyFile);
  const sshKey = sshKeyPath === undefined ? undefined : readSshPublicKey(sshKeyPath);
  const approver = r.approver ?? key?.approver;
  if (approver === undefined)
    return fail('no approver name: pass --approver NAME (or keygen --name for a key file)');
  if (!APPROVER_NAME_PATTERN.test(approver))
    return fail(`--approver must match ${APPROVER_NAME_PATTERN.source}`);

  const target = `/v1/deploys/${deployId}`;
  let got: BoundedResponse;
  try {
    got = await callServer({
      base: url,
      target,
      headers: { 'x-api-key': apiKey },
      maxBodyBytes: MAX_VIEW_BYTES,
    });
  } catch (err) {
    return failed(err);
  }
  if (got.status !== 200) return fail(`GET ${target} answered ${got.status} ${problemCode(got)}`);
  const view = parseView(got);
  if (typeof view === 'string')
    return fail(`REFUSED: the server answered something that is not a deploy (${view})`);
  const deploy = view;

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
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (nowSeconds > fields.expires) return fail('deploy has expired');

  // Every value below passed its grammar (view schema, approval message fields); `shown`
  // escapes anyway, so a grammar widened later can never let a control character through.
  const lines = [
    `You are approving, as ${shown(approver)} (${keyDescription(key?.publicKey, sshKeyPath, sshKey)}):`,
    `  deploy       ${shown(fields.deploy)}`,
    `  action       ${shown(fields.action)}`,
    `  target       ${shown(fields.target)}`,
    `  environment  ${shown(fields.environment)}`,
    `  artifact     ${shown(fields.artifact)}`,
    `  request      ${shown(fields.request)}`,
    `  policy       ${shown(fields.policy)}`,
    `  expires      ${shown(deploy.expiresAt)}`,
    `  approvals    ${deploy.approvedBy.length}/${deploy.threshold} so far${deploy.approvedBy.length > 0 ? ` (${deploy.approvedBy.map(shown).join(', ')})` : ''}`,
  ];
  const ahead = fields.expires - nowSeconds;
  if (ahead > MAX_QUORUM_TTL_SECONDS + CLOCK_SLACK_SECONDS)
    lines.push(
      `  WARNING      this deploy expires ${formatDuration(ahead)} from now, beyond the ` +
        `${formatDuration(MAX_QUORUM_TTL_SECONDS)} a policy's ttlSeconds allows: an honest gateway cannot have issued it`,
    );
  io.out([...lines, ''].join('\n'));
  if (!r.yes) {
    if (io.prompt === undefined) return fail('no terminal to confirm on; pass --yes in scripts');
    const answer = (await io.prompt('Sign and submit this approval? [y/N] ')).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') return fail('not approved');
  }

  let vote: { signature: string } | { sshSignature: string };
  if (key !== undefined) {
    vote = {
      signature: toHex(signEd25519(new TextEncoder().encode(deploy.message), key.secretKey)),
    };
  } else {
    let armor: string;
    try {
      io.out(`Signing with ssh-keygen -Y sign -n codex-approval -f ${shown(sshKeyPath ?? '')}\n`);
      armor = await sshKeygenSign(sshKeyPath ?? '', deploy.message);
    } catch (err) {
      return fail(`FAILED: ${err instanceof Error ? err.message : 'ssh-keygen failed'}`);
    }
    // The key ssh-keygen used (an agent may hold several): checked against the .pub shown
    // above, so what was confirmed is what is sent.
    const signed = parseSshsigBlob(dearmorSshSignature(armor) ?? new Uint8Array(0));
    if (typeof signed === 'string')
      return fail(`FAILED: ssh-keygen's signature is unusable (${signed})`);
    if (sshKey !== undefined && !verifySshApproval(deploy.message, armor, sshKey))
      return fail(`FAILED: ssh-keygen did not sign with the key ${sshKey.fingerprint}`);
    vote = { sshSignature: armor };
  }
  let posted: BoundedResponse;
  try {
    posted = await callServer({
      base: url,
      target: `/v1/deploys/${deployId}/approvals`,
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ approver, ...vote }),
      maxBodyBytes: MAX_VIEW_BYTES,
    });
  } catch (err) {
    return failed(err);
  }
  if (posted.status !== 200)
    return fail(`approval refused: ${posted.status} ${problemCode(posted)}`);
  const after = parseView(posted);
  if (typeof after === 'string' || after.id !== deployId)
    return fail(
      'FAILED: the approval was sent, but the answer is not this deploy; check its state with GET /v1/deploys/<id>',
    );
  io.out(
    `approval recorded: deploy ${deployId} is ${after.state} (${after.approvedBy.length}/${after.threshold})\n`,
  );
  return 0;
}

/** How the signing key is shown before the approver confirms. */
function keyDescription(
  rawKey: Uint8Array | undefined,
  sshKeyPath: string | undefined,
  sshKey: ReturnType<typeof readSshPublicKey>,
): string {
  if (rawKey !== undefined) return `key ${toHex(rawKey)}`;
  if (sshKey !== undefined) return `SSH key ${sshKey.fingerprint} (${sshKey.label})`;
  return `SSH key ${shown(sshKeyPath ?? '')}, no .pub beside it to show its fingerprint`;
}

/** The deploy view in an answer, or where it broke its schema (a path of schema keys only). */
function parseView(res: BoundedResponse): z.infer<typeof viewSchema> | string {
  let body: unknown;
  try {
    body = res.json();
  } catch {
    return 'not JSON';
  }
  const view = viewSchema.safeParse(body);
  if (view.success) return view.data;
  const path = view.error.issues[0]?.path ?? [];
  // The path holds our schema's keys and array indexes, never a server-chosen key.
  return path.length > 0 ? `bad ${path.map(String).join('.')}` : 'not an object';
}

/** The problem+json `code` of a refusal, or an empty string. Never echoes other content. */
function problemCode(res: BoundedResponse): string {
  try {
    const body = res.json() as { code?: unknown } | null;
    const code = body?.code;
    return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : '';
  } catch {
    return '';
  }
}

/** A duration in whole days (or hours below two days), for the expiry warning. */
function formatDuration(seconds: number): string {
  return seconds >= 2 * 86_400
    ? `${Math.floor(seconds / 86_400)} days`
    : `${Math.floor(seconds / 3600)} hours`;
}
