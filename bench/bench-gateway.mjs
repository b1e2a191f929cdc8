/**
 * What every bench that starts the gateway needs (run.mjs, profile.mjs,
 * micro/instructions.bench.mjs): a client `bench` with fresh credentials in a clients file,
 * the shipped policy with that client allowed to build and no rate limit, the environment
 * that starts a gateway on them, and a free port.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Writes `clients.json` (mode 0600) and `policy.json` into `tmp`, a fresh directory.
 * `dist` is the build whose credential generator is used. Returns the client (`apiKey`,
 * `signingSecret`) and `gatewayEnv(name)`: the gateway's variables for an instance called
 * `name` (its own data directory under `tmp` and log origin), at `LOG_LEVEL` `logLevel`.
 */
export async function writeGatewayFiles(tmp, { dist, scopes, logLevel = 'info' }) {
  const { generateCredentials } = await import(
    pathToFileURL(path.join(dist, 'config/dev-client.js')).href
  );
  const client = generateCredentials('bench', scopes);
  const clientsFile = path.join(tmp, 'clients.json');
  // `tmp` is a fresh directory: the file is created here, at 0600 or stricter (umask).
  writeFileSync(clientsFile, JSON.stringify({ clients: [client.entry] }), { mode: 0o600 });
  const shipped = JSON.parse(readFileSync(path.join(root, 'policy/policy.json'), 'utf8'));
  delete shipped.$schema;
  const policyFile = path.join(tmp, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ ...shipped, clients: { bench: { actions: ['build'] } } }),
  );
  const gatewayEnv = (name) => ({
    NODE_ENV: 'production',
    LOG_LEVEL: logLevel,
    GATEWAY_CLIENTS_FILE: clientsFile,
    GATEWAY_POLICY_FILE: policyFile,
    GATEWAY_DATA_DIR: path.join(tmp, `data-${name}`),
    GATEWAY_LOG_ORIGIN: `bench.codex-gateway.local/${name}`,
  });
  return { client, gatewayEnv };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
