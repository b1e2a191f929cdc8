import type { CliCommand } from './command.js';

/** `codex-gateway serve`: runs the gateway; configured only by the environment. */
export const command: CliCommand = {
  name: 'serve',
  summary: 'Run the gateway (configured by environment variables, see docs/protocol.md §8).',
  options: {},
  notes: `environment (defaults in brackets):
  HOST, PORT                    listen address [127.0.0.1, 8787]
  GATEWAY_CLIENTS_FILE          clients file (mode 0600); unset = development mode with a dev client
  GATEWAY_POLICY_FILE           policy file, hot reloaded [policy/policy.json]
  GATEWAY_DATA_DIR              audit log and dev client storage [./data]
  GATEWAY_LOG_ORIGIN            checkpoint origin [derived from the host name]
  GATEWAY_LOG_KEY_FILE          Ed25519 log key, created 0600 if absent [<data dir>/audit-log.key]
  GATEWAY_TOLERANCE_SECONDS     accepted clock skew of signed requests [300]
  GATEWAY_NONCE_CAPACITY        in-memory nonce store bound [100000]
  GATEWAY_PENDING_DEPLOYS_PER_CLIENT  open deploys one client may hold [100]
  GATEWAY_BODY_LIMIT_BYTES      largest request body [262144]
  REDIS_URL                     share nonces, rates and pending deploys through Redis [unset]
  LOG_LEVEL                     pino level [info]
  NODE_ENV=production           refuses dev clients and requires GATEWAY_CLIENTS_FILE`,
  async run() {
    const { serve } = await import('../main.js');
    await serve();
    return -1; // keeps running; the server exits the process itself
  },
};
