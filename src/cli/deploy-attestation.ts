import { writeFileSync } from 'node:fs';
import { GatewayRequestError } from '../client/index.js';
import { runCommand, usageError, type CliCommand, type CommandArgs } from './command.js';
import { connectGateway, connectionOptions } from './gateway-connection.js';
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
    ...connectionOptions,
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
  const id = args.positionals[0]!;
  const gateway = connectGateway(args, io, command);
  if (typeof gateway === 'number') return gateway;
  if (!DEPLOY_ID.test(id))
    return usageError(io, command, 'DEPLOY_ID must be the lowercase hex id the gateway issued');
  let text: string;
  try {
    text = await gateway.attestation(id);
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
