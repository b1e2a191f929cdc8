import { writeFileSync } from 'node:fs';
import { GatewayClient, GatewayRequestError } from '../client/index.js';
import { runCommand, usageError, type CliCommand, type CommandArgs } from './command.js';
import type { CliIo } from './io.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/**
 * `codex-gateway deploy attestation`: saves the attestation as the gateway served it. It
 * is NOT verified here (the deploy target verifies it with `release verify`, against its
 * own trusted policy and vkey); exit 1 when the deploy is not approved or unknown.
 */
export const command: CliCommand = {
  name: 'deploy attestation',
  summary: "Save an approved deploy's release attestation exactly as served (not verified here).",
  options: {
    out: { type: 'string', value: 'FILE', description: 'write it to FILE instead of stdout' },
    url: { type: 'string', value: 'URL', description: 'gateway base URL [$CODEX_GATEWAY_URL]' },
    'api-key': { type: 'string', value: 'KEY', description: 'API key [$CODEX_API_KEY]' },
  },
  positionals: { usage: 'DEPLOY_ID', min: 1, max: 1 },
  notes: 'exit 0 saved, 1 not approved, unknown or refused, 2 usage; check it with release verify',
  run: (args, io) => deployAttestation(args, io),
};

/** Runs `deploy attestation` with argv-style arguments (tests and scripts). */
export async function deployAttestationCommand(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  return runCommand(command, args, io);
}

async function deployAttestation(args: CommandArgs, io: CliIo): Promise<number> {
  const url = args.string('url') ?? process.env.CODEX_GATEWAY_URL;
  const apiKey = args.string('api-key') ?? process.env.CODEX_API_KEY;
  const id = args.positionals[0]!;
  if (url === undefined)
    return usageError(io, command, 'no URL: pass --url or set CODEX_GATEWAY_URL');
  if (apiKey === undefined)
    return usageError(io, command, 'no API key: pass --api-key or set CODEX_API_KEY');
  if (!DEPLOY_ID.test(id))
    return usageError(io, command, 'DEPLOY_ID must be the lowercase hex id the gateway issued');
  let text: string;
  try {
    text = await new GatewayClient({ url, apiKey }).attestation(id);
  } catch (err) {
    const why = err instanceof GatewayRequestError ? err.message : (err as Error).message;
    io.err(`codex-gateway deploy attestation: FAILED: ${why}\n`);
    return 1;
  }
  const out = args.string('out');
  if (out === undefined) io.out(`${text}\n`);
  else writeFileSync(out, text, { mode: 0o644 });
  return 0;
}
