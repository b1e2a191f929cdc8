import { writeFileSync } from 'node:fs';
import { GatewayClient, GatewayRequestError } from '../client/index.js';
import { parseOptions, type CliIo } from './io.js';

const USAGE = `usage: codex-gateway deploy attestation DEPLOY_ID [--out FILE] [--url URL] [--api-key KEY]
fetches the release attestation of an approved deploy (PROTOCOL §10) and writes it to FILE
(or stdout) exactly as served. URL and key may also come from CODEX_GATEWAY_URL and CODEX_API_KEY`;

const DEPLOY_ID = /^[0-9a-f]{32,128}$/;

/**
 * `codex-gateway deploy attestation`: saves the attestation as the gateway served it. It
 * is NOT verified here (the deploy target verifies it with `release verify`, against its
 * own trusted policy and vkey); exit 1 when the deploy is not approved or unknown.
 */
export async function deployAttestationCommand(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  let opts;
  try {
    opts = parseOptions(args, { values: ['out', 'url', 'api-key'] });
  } catch (err) {
    io.err(`codex-gateway deploy attestation: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const one = (name: string): string | undefined => opts.values.get(name)?.[0];
  const url = one('url') ?? process.env.CODEX_GATEWAY_URL;
  const apiKey = one('api-key') ?? process.env.CODEX_API_KEY;
  const id = opts.positional[0];
  if (url === undefined || apiKey === undefined || id === undefined || !DEPLOY_ID.test(id)) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await new GatewayClient({ url, apiKey }).attestation(id);
  } catch (err) {
    const why = err instanceof GatewayRequestError ? err.message : (err as Error).message;
    io.err(`codex-gateway deploy attestation: FAILED: ${why}\n`);
    return 1;
  }
  const out = one('out');
  if (out === undefined) io.out(`${text}\n`);
  else writeFileSync(out, text, { mode: 0o644 });
  return 0;
}
