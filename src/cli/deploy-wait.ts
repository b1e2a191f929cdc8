import { GatewayClient, GatewayRequestError } from '../client/index.js';
import { parseOptions, type CliIo } from './io.js';

const USAGE = `usage: codex-gateway deploy wait DEPLOY_ID [--timeout 900] [--json] [--url URL] [--api-key KEY]
waits until the deploy is approved (exit 0), expired or gone (exit 1), or --timeout seconds
pass (exit 3); prints the deploy (JSON with --json). URL and key may also come from
CODEX_GATEWAY_URL and CODEX_API_KEY`;

/** Longest --timeout accepted: a day. */
const MAX_TIMEOUT_SECONDS = 86_400;
const DEPLOY_ID = /^[0-9a-f]{32,128}$/;

/** Exit codes of `deploy wait` (also documented in docs/releases.md). */
export const WAIT_EXIT = { approved: 0, expired: 1, closed: 1, timeout: 3, usage: 2 } as const;

/**
 * `codex-gateway deploy wait`: loops over `GET /v1/deploys/<id>?wait=` (PROTOCOL §10) until
 * the deploy is decided or the timeout passes. Network trouble and 429/503 are retried
 * until the timeout; a refusal such as 401 ends the wait with exit 1.
 */
export async function deployWaitCommand(args: readonly string[], io: CliIo): Promise<number> {
  let opts;
  try {
    opts = parseOptions(args, { values: ['timeout', 'url', 'api-key'], flags: ['json'] });
  } catch (err) {
    io.err(`codex-gateway deploy wait: ${(err as Error).message}\n${USAGE}\n`);
    return WAIT_EXIT.usage;
  }
  const one = (name: string): string | undefined => opts.values.get(name)?.[0];
  const url = one('url') ?? process.env.CODEX_GATEWAY_URL;
  const apiKey = one('api-key') ?? process.env.CODEX_API_KEY;
  const timeoutText = one('timeout') ?? '900';
  const id = opts.positional[0];
  if (
    url === undefined ||
    apiKey === undefined ||
    id === undefined ||
    opts.positional.length !== 1 ||
    !DEPLOY_ID.test(id) ||
    !/^[0-9]{1,6}$/.test(timeoutText) ||
    Number(timeoutText) > MAX_TIMEOUT_SECONDS
  ) {
    io.err(`${USAGE}\n`);
    return WAIT_EXIT.usage;
  }
  const json = opts.flags.has('json');
  let client: GatewayClient;
  try {
    client = new GatewayClient({ url, apiKey });
  } catch (err) {
    io.err(`codex-gateway deploy wait: ${(err as Error).message}\n`);
    return WAIT_EXIT.usage;
  }
  let outcome;
  try {
    outcome = await client.waitForDeploy(id, { timeoutSeconds: Number(timeoutText) });
  } catch (err) {
    const why = err instanceof GatewayRequestError ? err.message : 'unexpected failure';
    io.err(`codex-gateway deploy wait: FAILED: ${why}\n`);
    return 1;
  }
  const deploy = outcome.deploy;
  if (json) io.out(`${JSON.stringify(deploy ?? { id, state: 'closed' })}\n`);
  else {
    const approvedBy = Array.isArray(deploy?.['approvedBy'])
      ? (deploy['approvedBy'] as unknown[]).filter((n) => typeof n === 'string').join(', ')
      : '';
    const line =
      outcome.outcome === 'timeout'
        ? `timed out after ${timeoutText} s: deploy ${id} is still ${deploy?.state ?? 'unknown'}`
        : outcome.outcome === 'closed'
          ? `deploy ${id} is gone (unknown to the gateway)`
          : `deploy ${id} is ${outcome.outcome}${approvedBy === '' ? '' : ` (approved by ${approvedBy})`}`;
    io.out(`${line}\n`);
  }
  return WAIT_EXIT[outcome.outcome];
}
