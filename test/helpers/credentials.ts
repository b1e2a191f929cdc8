import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCredentials, type NewCredentials } from '../../src/config/dev-client.js';
import { SCOPES } from '../../src/config/clients.js';

/** A temp directory for one test, removed by the caller (or left in the OS temp dir). */
export function tempDir(prefix = 'codex-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Fresh credentials for a test client with every scope unless given. */
export function testClient(id = 'ci-main', scopes = [...SCOPES]): NewCredentials {
  return generateCredentials(id, scopes);
}

/** Writes a clients file (mode 0600) holding `clients`; returns its path. */
export function writeClientsFile(dir: string, clients: readonly NewCredentials[]): string {
  const file = path.join(dir, 'clients.json');
  writeFileSync(file, JSON.stringify({ clients: clients.map((c) => c.entry) }, null, 2), {
    mode: 0o600,
  });
  chmodSync(file, 0o600);
  return file;
}

/** Writes a policy file; returns its path. */
export function writePolicyFile(dir: string, policy: unknown, name = 'policy.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

/** A permissive policy for tests that are not about policy. */
export function openPolicy(
  clientIds: readonly string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: 1,
    clients: Object.fromEntries(
      clientIds.map((id) => [id, { actions: ['build', 'test', 'deploy', 'release'] }]),
    ),
    ...extra,
  };
}
