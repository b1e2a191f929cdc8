import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './env.js';
import { buildClientRegistry, type ClientRegistry } from './clients.js';

/**
 * Reads the clients file (adapter). Refuses a file readable by group or others (mode must
 * be 0600 or 0400), bad JSON and invalid contents, each with one line that names the file
 * and the rule but never its secrets.
 */
export function loadClientsFile(path: string, opts: { production: boolean }): ClientRegistry {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new ConfigError(`GATEWAY_CLIENTS_FILE: cannot read ${path}`);
  }
  const perms = mode & 0o777;
  if ((perms & 0o077) !== 0) {
    throw new ConfigError(
      `GATEWAY_CLIENTS_FILE: ${path} is readable by group or others (mode ${perms.toString(8)}); chmod 600 it`,
    );
  }
  if (perms !== 0o600 && perms !== 0o400) {
    throw new ConfigError(
      `GATEWAY_CLIENTS_FILE: ${path} must have mode 0600 or 0400 (it has ${perms.toString(8)})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(`GATEWAY_CLIENTS_FILE: ${path} is not valid JSON`);
  }
  try {
    return buildClientRegistry(raw, opts);
  } catch (err) {
    throw new ConfigError(`GATEWAY_CLIENTS_FILE: ${(err as Error).message}`);
  }
}
