import { readFileSync, statSync } from 'node:fs';
import { buildTargetRegistry, type TargetRegistry } from '../delivery/targets.js';
import { ConfigError } from './env.js';

/**
 * Reads the targets file (adapter), with the clients file's rules (docs/protocol.md §1, §11): mode
 * exactly 0600 or 0400, valid JSON, strict contents. Each refusal is one line naming the
 * file and the rule, never a secret.
 */
export function loadTargetsFile(path: string): TargetRegistry {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new ConfigError(`GATEWAY_TARGETS_FILE: cannot read ${path}`);
  }
  const perms = mode & 0o777;
  if ((perms & 0o077) !== 0) {
    throw new ConfigError(
      `GATEWAY_TARGETS_FILE: ${path} is readable by group or others (mode ${perms.toString(8)}); chmod 600 it`,
    );
  }
  if (perms !== 0o600 && perms !== 0o400) {
    throw new ConfigError(
      `GATEWAY_TARGETS_FILE: ${path} must have mode 0600 or 0400 (it has ${perms.toString(8)})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(`GATEWAY_TARGETS_FILE: ${path} is not valid JSON`);
  }
  try {
    return buildTargetRegistry(raw);
  } catch (err) {
    throw new ConfigError(`GATEWAY_TARGETS_FILE: ${(err as Error).message}`);
  }
}
