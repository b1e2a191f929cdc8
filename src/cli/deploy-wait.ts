import { GatewayRequestError } from '../client/index.js';
import { runCommand, usageError, type CliCommand, type CommandArgs } from './command.js';
import { connectGateway, connectionOptions } from './gateway-connection.js';
import type { CliIo } from './io.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/** Longest --timeout accepted: a day. */
const MAX_TIMEOUT_SECONDS = 86_400;

/** Exit codes of `deploy wait` (also documented in docs/releases.md). */
export const WAIT_EXIT = { approved: 0, expired: 1, closed: 1, timeout: 3, usage: 2 } as const;

/**
 * `codex-gateway deploy wait`: loops over `GET /v1/deploys/<id>?wait=` (docs/protocol.md §10) until
 * the deploy is decided or the timeout passes. Network trouble and 429/503 are retried
 * until the timeout; a refusal such as 401 ends the wait with exit 1.
 */
export const command: CliCommand = {
  name: 'deploy wait',
  summary:
    'Wait until a deploy is approved (exit 0), expired or gone (1), or the timeout passes (3).',
  options: {
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: 'give up after this long [900, at most 86400]',
    },
    json: { type: 'boolean', description: 'print the deploy as one line of JSON' },
    ...connectionOptions,
  },
  positionals: { usage: 'DEPLOY_ID', min: 1, max: 1 },
  notes: 'exit 0 approved, 1 expired, gone or refused, 2 usage, 3 timed out',
  run: (args, io) => deployWait(args, io),
};

/** Runs `deploy wait` with argv-style arguments (tests and scripts). */
export async function deployWaitCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(command, args, io);
}

async function deployWait(args: CommandArgs, io: CliIo): Promise<number> {
  const timeoutText = args.string('timeout') ?? '900';
  const id = args.positionals[0]!;
  const client = connectGateway(args, io, command);
  if (typeof client === 'number') return client;
  if (!DEPLOY_ID.test(id))
    return usageError(io, command, 'DEPLOY_ID must be the lowercase hex id the gateway issued');
  if (!/^[0-9]{1,6}$/.test(timeoutText) || Number(timeoutText) > MAX_TIMEOUT_SECONDS)
    return usageError(
      io,
      command,
      `--timeout must be whole seconds, at most ${MAX_TIMEOUT_SECONDS}`,
    );
  const json = args.flag('json');
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
