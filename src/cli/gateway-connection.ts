import { GatewayClient } from '../client/index.js';
import { usageError, type CliCommand, type CommandArgs } from './command.js';
import type { CliIo } from './io.js';

/** The `--url` / `--api-key` options of every command that talks to a running gateway. */
export const connectionOptions = {
  url: { type: 'string', value: 'URL', description: 'gateway base URL [$CODEX_GATEWAY_URL]' },
  'api-key': { type: 'string', value: 'KEY', description: 'API key [$CODEX_API_KEY]' },
} as const;

/**
 * The client for `--url`/`--api-key` (or `CODEX_GATEWAY_URL`/`CODEX_API_KEY`), or exit code
 * 2 after one usage line naming what is missing or wrong. Nothing is sent yet.
 */
export function connectGateway(
  args: CommandArgs,
  io: CliIo,
  cmd: Pick<CliCommand, 'name'>,
): GatewayClient | number {
  const url = args.string('url') ?? process.env.CODEX_GATEWAY_URL;
  const apiKey = args.string('api-key') ?? process.env.CODEX_API_KEY;
  if (url === undefined) return usageError(io, cmd, 'no URL: pass --url or set CODEX_GATEWAY_URL');
  if (apiKey === undefined)
    return usageError(io, cmd, 'no API key: pass --api-key or set CODEX_API_KEY');
  try {
    return new GatewayClient({ url, apiKey });
  } catch (err) {
    return usageError(io, cmd, (err as Error).message);
  }
}
