import type { Logger } from 'pino';
import type { AppDeps } from './app.js';
import { openFileAudit } from './audit/open-file-audit.js';
import { systemClock } from './clock.js';
import type { ClientRegistry } from './config/clients.js';
import { buildClientRegistry, SCOPES } from './config/clients.js';
import { loadClientsFile } from './config/clients-file.js';
import { generateDevClient } from './config/dev-client.js';
import { ConfigError, type GatewayConfig } from './config/env.js';
import { PolicyReloader } from './policy/reloader.js';
import { policyEntry } from './audit/entry.js';
import { randomId } from './crypto/index.js';
import { MemoryPendingDeployStore } from './quorum/memory-pending-deploy-store.js';
import { MemoryAdmissionStore } from './replay/memory-admission.js';
import { gatewayGaugeSources } from './metrics/gateway-gauges.js';
import { createPrometheusMetrics } from './metrics/prometheus-metrics.js';
import { openRedisStores } from './redis/redis-stores.js';

/** The built gateway: app dependencies plus lifecycle hooks for main.ts. */
export interface Gateway {
  readonly deps: AppDeps;
  readonly mode: 'memory' | 'redis';
  /** Re-read the policy file (SIGHUP). */
  onSighup(): Promise<void>;
  /** Close stores and files after the server stopped accepting. */
  close(): Promise<void>;
}

/**
 * Chooses and builds the adapters for `config` (the only place that does). `print` shows
 * one-time output to the operator (the development client's credentials), outside the
 * logger so that redaction does not hide what the operator must copy.
 */
export async function buildGateway(
  config: GatewayConfig,
  logger: Logger,
  print: (text: string) => void,
): Promise<Gateway> {
  const clock = systemClock;
  const clients = loadClients(config, print);
  // REDIS_URL set: nonces, rate windows and pending deploys are shared by every instance.
  const shared =
    config.redisUrl === undefined
      ? undefined
      : await openRedisStores({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          toleranceSeconds: config.toleranceSeconds,
          clock,
          logger,
        });
  const admission =
    shared?.admission ??
    new MemoryAdmissionStore({
      capacity: config.nonceCapacity,
      toleranceSeconds: config.toleranceSeconds,
    });
  const deploys = shared?.deploys ?? new MemoryPendingDeployStore({ clock });
  // Opens and fully verifies the Merkle log, and proves it extends the last signed
  // checkpoint: a corrupted or rewritten log stops start-up with one line.
  const auditLog = await openFileAudit(config);
  const audit = auditLog.service;
  // Every revision that becomes active is audited first; if that append fails, the
  // revision is not activated (the reloader keeps the last good one and retries).
  let policyReloadFailures = 0; // exported as gateway_policy_reload_failures_total
  const policy = new PolicyReloader({
    file: config.policyFile,
    devMode: !config.production && config.clientsFile === undefined,
    clock,
    onActivate: async (active) => {
      await audit.append(
        policyEntry({ nowMs: clock.nowMs(), id: randomId(), revision: active.revision }),
      );
    },
    log: (level, message, fields) =>
      logger[level]({ ...fields, policyFile: config.policyFile }, message),
    onError: () => {
      policyReloadFailures += 1;
    },
  });
  await policy.start();
  const deps: AppDeps = {
    clients,
    clock,
    logger,
    admission,
    policy,
    deploys,
    audit,
    auditReader: audit,
    readiness: [
      { name: 'policy', check: () => policy.current() !== undefined },
      { name: 'admission', check: () => admission.ready() },
      { name: 'deploys', check: () => deploys.ready() },
    ],
    toleranceSeconds: config.toleranceSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    metrics: createPrometheusMetrics(
      gatewayGaugeSources({
        admission,
        policy,
        audit,
        nonceCapacity: config.nonceCapacity,
        reloadFailures: () => policyReloadFailures,
        ...(shared !== undefined && { redisUp: () => admission.ready() }),
      }),
      { processMetrics: true },
    ),
  };
  return {
    deps,
    mode: shared === undefined ? 'memory' : 'redis',
    onSighup: () => policy.reload(),
    close: async () => {
      await Promise.allSettled([policy.close(), admission.close(), deploys.close()]);
      await auditLog.close(); // after the rest: waits for in-flight appends
    },
  };
}

function loadClients(config: GatewayConfig, print: (text: string) => void): ClientRegistry {
  if (config.clientsFile !== undefined)
    return loadClientsFile(config.clientsFile, { production: config.production });
  if (config.production)
    throw new ConfigError('GATEWAY_CLIENTS_FILE is required when NODE_ENV=production');
  const dev = generateDevClient();
  print(
    [
      '',
      'codex-gateway: development mode (no GATEWAY_CLIENTS_FILE). A client was generated for this run:',
      `  client id:       ${dev.id}`,
      `  API key:         ${dev.apiKey}`,
      `  signing secret:  ${dev.signingSecret}`,
      `  scopes:          ${SCOPES.join(' ')}`,
      'These credentials are printed once and live only in this process.',
      '',
    ].join('\n') + '\n',
  );
  return buildClientRegistry({ clients: [dev.entry] }, { production: false });
}
