import type { Logger } from 'pino';
import type { AppDeps } from './app.js';
import { openFileAudit, type OpenedAudit } from './audit/open-file-audit.js';
import { openPgAudit } from './audit/postgres/open-pg-audit.js';
import { systemClock, type Clock } from './clock.js';
import type { ClientRegistry } from './config/clients.js';
import { SCOPES } from './config/clients.js';
import { loadClientsFile } from './config/clients-file.js';
import { loadOrCreateDevClient } from './config/dev-client-file.js';
import { ConfigError, type GatewayConfig } from './config/env.js';
import { PolicyReloader } from './policy/reloader.js';
import { ShadowCandidate } from './gateway/shadow-candidate.js';
import { policyEntry } from './audit/entry.js';
import { randomId } from './crypto/index.js';
import { gatewayGaugeSources } from './metrics/gateway-gauges.js';
import type { NonceStoreState } from './metrics/gauge-sources.js';
import { instrumentAudit, instrumentAuditReader } from './metrics/instrument-audit.js';
import { createPrometheusMetrics } from './metrics/prometheus-metrics.js';
import { MemoryPendingDeployStore } from './quorum/memory-pending-deploy-store.js';
import type { PendingDeployStore } from './quorum/pending-deploy.js';
import type { AdmissionStore } from './replay/admission.js';
import { MemoryAdmissionStore } from './replay/memory-admission.js';
import { recoverNonces, type NonceSink } from './replay/recover-nonces.js';
import { MemoryDeployWatch, type DeployWatch } from './quorum/deploy-watch.js';
import { MemoryAttestationStore, type AttestationStore } from './release/attestation-store.js';
import { createReleaseSigner } from './release/release-attestation.js';
import type { Redis } from 'ioredis';
import path from 'node:path';
import { deliveryEntry } from './audit/entry.js';
import { loadTargetsFile } from './config/targets-file.js';
import { DeliveryDispatcher } from './delivery/dispatcher.js';
import { openFileOutbox } from './delivery/file-outbox.js';
import type { Outbox } from './delivery/outbox.js';
import { RedisOutbox } from './delivery/redis-outbox.js';
import type { RetrySchedule } from './delivery/retry-schedule.js';
import type { TargetRegistry } from './delivery/targets.js';
import { registerDeliveryMetrics } from './metrics/delivery-metrics.js';
import {
  registerAuditBatchMetrics,
  type AuditBatchObservation,
} from './metrics/audit-batch-metrics.js';

/** The built gateway: app dependencies plus the lifecycle hooks main.ts calls. */
export interface Gateway {
  readonly deps: AppDeps;
  readonly mode: 'memory' | 'redis';
  /** Starts background work once the server listens (the delivery dispatcher). */
  start(): void;
  /** Re-read the policy file (SIGHUP). */
  onSighup(): Promise<void>;
  /** Close stores and files after the server stopped accepting. */
  close(): Promise<void>;
}

/** Test knobs that the environment does not offer (the contract fixes these figures). */
export interface GatewayOverrides {
  /** Delivery retry schedule; default the contract's (docs/protocol.md §11). */
  readonly deliverySchedule?: RetrySchedule;
  /** How often the dispatcher looks for due deliveries, ms (default 500). */
  readonly deliveryPollMs?: number;
}

/** Subdirectory of GATEWAY_DATA_DIR holding the delivery outbox journal (memory mode). */
export const OUTBOX_DIR = 'deliveries';

/**
 * Chooses and builds the adapters for `config` (the only file that does: memory | Redis
 * stores, the file audit log), decorates them with metrics, and builds the gauges from
 * the concrete types it created. `print` shows one-time output to the operator (the
 * development client's credentials), outside the logger so that redaction does not hide
 * what the operator must copy.
 */
export async function buildGateway(
  config: GatewayConfig,
  logger: Logger,
  print: (text: string) => void,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  const clock = systemClock;
  const clients = await loadClients(config, print);
  // Same rules as the clients file (docs/protocol.md §11): mode, strict contents, one line.
  const targets =
    config.targetsFile === undefined ? undefined : loadTargetsFile(config.targetsFile);
  const stores = await openStores(config, clock, logger);
  const { admission, deploys, deployWatch, attestations } = stores;
  // Opens the Merkle log (files, or PostgreSQL with DATABASE_URL) and checks it against its
  // signed head: a corrupted, cut or rewritten log stops start-up with one line.
  // Batches may commit before /metrics exists (policy activation at start): the observer
  // is bound once the registry is built, below.
  const batchMetrics: { observe?: (o: AuditBatchObservation) => void } = {};
  const auditLog = await openAudit(config, logger, (o) => batchMetrics.observe?.(o));
  // No replay after a restart or crash (docs/protocol.md §16): the nonces of the current window are
  // read back from the durable log before the first request is admitted.
  const recovered = await recoverNonces(auditLog.service, stores.nonceSink, {
    nowMs: clock.nowMs(),
    toleranceSeconds: config.toleranceSeconds,
  });
  logger.info(recovered, 'nonces of the current window recovered from the audit log');
  let policyReloadFailures = 0; // exported as gateway_policy_reload_failures_total
  const candidateReloader = openCandidate(config, clock, logger);
  const candidate =
    candidateReloader === undefined
      ? undefined
      : new ShadowCandidate(candidateReloader, (d) =>
          logger.warn(
            {
              decision: d.decisionId,
              client: d.clientId,
              action: d.action,
              target: d.target,
              active: d.active,
              candidate: d.candidate,
            },
            'policy candidate disagrees with the active policy',
          ),
        );
  // Gauges read the concrete adapters built above, only when /metrics is scraped.
  const metricsEndpoint = createPrometheusMetrics(
    gatewayGaugeSources({
      policy: { current: () => policy.current(), status: () => policy.status() },
      auditSize: () => auditLog.service.size(),
      reloadFailures: () => policyReloadFailures,
      ...(candidate !== undefined && {
        candidateDisagreements: () => candidate.disagreementsTotal(),
      }),
      ...(stores.nonceStore !== undefined && { nonceStore: stores.nonceStore }),
      ...(stores.mode === 'redis' && { redisUp: () => admission.ready() }),
    }),
    { processMetrics: true },
  );
  const { metrics } = metricsEndpoint;
  batchMetrics.observe = registerAuditBatchMetrics(
    metricsEndpoint.registry,
    config.databaseUrl === undefined ? 'file' : 'postgres',
  );
  // Every append is timed and every audited decision counted, whichever path appends
  // (requests and policy activations alike); every served checkpoint is recorded.
  const audit = instrumentAudit(auditLog.service, metrics);
  const auditReader = instrumentAuditReader(auditLog.service, metrics, () => clock.nowMs());
  // Every revision that becomes active is audited first; if that append fails, the
  // revision is not activated (the reloader keeps the last good one and retries).
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
  await candidateReloader?.start();
  const delivery =
    targets === undefined
      ? undefined
      : openDeliveries({
          config,
          targets,
          stores,
          clock,
          logger,
          overrides,
          metricsEndpoint,
          audit,
        });
  const deps: AppDeps = {
    clients,
    clock,
    logger,
    admission,
    policy,
    ...(candidate !== undefined && { candidate }),
    deploys,
    audit,
    auditReader,
    readiness: [
      { name: 'policy', check: () => policy.current() !== undefined },
      { name: 'admission', check: () => admission.ready() },
      { name: 'deploys', check: () => deploys.ready() },
      // PostgreSQL mode: the log's database can take a batch now (docs/protocol.md §14).
      { name: 'audit', check: () => auditLog.ready?.() ?? true },
      ...(delivery === undefined
        ? []
        : [{ name: 'deliveries', check: () => delivery.outbox.ready() }]),
    ],
    toleranceSeconds: config.toleranceSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    metrics: metricsEndpoint,
    deployWatch,
    attestations,
    // Release attestations are signed with the audit log's own key (docs/protocol.md §10).
    releaseSigner: createReleaseSigner(auditLog.logKey.verifier, auditLog.logKey.secretKey),
    ...(delivery !== undefined && {
      deliveries: {
        targets: delivery.targets,
        outbox: delivery.outbox,
        wake: () => delivery.dispatcher.kick(),
      },
    }),
  };
  return {
    deps,
    mode: stores.mode,
    start: () => delivery?.dispatcher.start(),
    onSighup: async () => {
      await Promise.all([policy.reload(), candidateReloader?.reload()]);
    },
    close: async () => {
      // Sends in flight get a short grace; any still running are sent again after a
      // restart (their outcome was not recorded: at least once).
      if (delivery !== undefined) {
        await delivery.dispatcher.close(2_000);
        await delivery.outbox.close().catch(() => undefined);
      }
      await Promise.allSettled([
        policy.close(),
        candidateReloader?.close(),
        admission.close(),
        deploys.close(),
        deployWatch.close(),
      ]);
      await auditLog.close(); // after the rest: waits for in-flight appends
    },
  };
}

/**
 * DATABASE_URL set: the audit log every instance shares, in PostgreSQL (origin and key
 * file required, checked by loadConfig). Otherwise: the file log in GATEWAY_DATA_DIR.
 */
async function openAudit(
  config: GatewayConfig,
  logger: Logger,
  observe: (o: AuditBatchObservation) => void,
): Promise<OpenedAudit> {
  if (config.databaseUrl === undefined)
    return openFileAudit(config, {
      onIndexesRebuilt: (reason) =>
        logger.warn(
          { reason },
          'audit log indexes (offsets.bin, hashes.bin) rebuilt from entries.log under the signed head',
        ),
      observe,
    });
  return openPgAudit({
    databaseUrl: config.databaseUrl,
    logOrigin: config.logOrigin!,
    logKeyFile: config.logKeyFile!,
    observe,
    dataDir: config.dataDir,
    onSweepFailure: (err) =>
      logger.error({ err: { message: err.message } }, 'audit log re-verification failed'),
    onSeenHeadError: (err) =>
      logger.warn(
        { err: { message: err.message } },
        'audit seen-head file not written; a restore to an older state may go unnoticed at the next start',
      ),
  });
}

/**
 * The candidate policy's reloader (docs/protocol.md §13), when GATEWAY_POLICY_CANDIDATE_FILE is
 * set: hot reloaded like the active policy, with its own record (a bad candidate file keeps
 * the last good candidate and never touches the active policy or readiness). A candidate
 * decides nothing, so its revisions are logged, not audited.
 */
function openCandidate(
  config: GatewayConfig,
  clock: Clock,
  logger: Logger,
): PolicyReloader | undefined {
  const file = config.policyCandidateFile;
  if (file === undefined) return undefined;
  return new PolicyReloader({
    file,
    devMode: !config.production && config.clientsFile === undefined,
    clock,
    log: (level, message, fields) =>
      logger[level]({ ...fields, candidateFile: file }, `candidate: ${message}`),
  });
}

/** The replay/rate and pending-deploy adapters for the configured mode. */
interface Stores {
  readonly mode: 'memory' | 'redis';
  readonly admission: AdmissionStore;
  readonly deploys: PendingDeployStore;
  /** Deploy change notifications for held GETs (Redis: pub/sub on a dedicated connection). */
  readonly deployWatch: DeployWatch;
  /** Built release attestations (Redis: shared by every instance, kept across restarts). */
  readonly attestations: AttestationStore;
  /** Gauge source, when the chosen nonce store can tell its state. */
  readonly nonceStore?: () => NonceStoreState;
  /** Where start-up recovery puts the nonces it reads back from the audit log. */
  readonly nonceSink: NonceSink;
  /** The shared connection (Redis mode), for the delivery outbox. */
  readonly redis?: Redis;
}

/** The delivery side (docs/protocol.md §11), when a targets file is configured. */
interface Deliveries {
  readonly targets: TargetRegistry;
  readonly outbox: Outbox;
  readonly dispatcher: DeliveryDispatcher;
}

/**
 * The outbox for the mode (memory: a crash-safe journal in `<dataDir>/deliveries`, owned
 * by this process; Redis: shared by every instance, claims are leases) and the dispatcher
 * that sends from it. Each final outcome is appended to the audit log as a `delivery`
 * entry before the outbox records it; attempts and outcomes are counted in the metrics.
 */
function openDeliveries(input: {
  config: GatewayConfig;
  targets: TargetRegistry;
  stores: Stores;
  clock: Clock;
  logger: Logger;
  overrides: GatewayOverrides;
  metricsEndpoint: ReturnType<typeof createPrometheusMetrics>;
  audit: AppDeps['audit'];
}): Deliveries {
  const { config, targets, stores, clock, logger, overrides, audit } = input;
  const outbox: Outbox =
    stores.redis !== undefined
      ? new RedisOutbox({ redis: stores.redis, prefix: config.redisPrefix })
      : openFileOutbox(path.join(config.dataDir, OUTBOX_DIR));
  const observer = registerDeliveryMetrics(
    input.metricsEndpoint.registry,
    { stats: () => outbox.stats(), nowMs: () => clock.nowMs() },
    targets.all.map((t) => t.id),
  );
  const dispatcher = new DeliveryDispatcher({
    outbox,
    targets,
    clock,
    observer,
    ...(overrides.deliverySchedule !== undefined && { schedule: overrides.deliverySchedule }),
    // With the schedule's 4.75 s first-retry bound, a 250 ms poll sends it within 5 s.
    pollMs: overrides.deliveryPollMs ?? 250,
    audit: (o) =>
      audit.append(
        deliveryEntry({
          nowMs: o.nowMs,
          id: o.id,
          target: o.target,
          decision: o.decision,
          outcome: o.outcome,
          attempts: o.attempts,
          status: o.status,
        }),
      ),
    log: (level, msg, fields) => logger[level]({ ...fields }, msg),
  });
  logger.info(
    { targets: targets.all.length, outbox: stores.redis !== undefined ? 'redis' : 'file' },
    'deliveries configured',
  );
  return { targets, outbox, dispatcher };
}

/**
 * REDIS_URL set: nonces, rate windows and pending deploys live in Redis, shared by every
 * instance over one connection. Otherwise: bounded in-memory stores of this process.
 */
async function openStores(config: GatewayConfig, clock: Clock, logger: Logger): Promise<Stores> {
  if (config.redisUrl !== undefined) {
    // Imported only in Redis mode: loading ioredis has a process-wide cost (see
    // redis/fast-string-prototype.ts), which memory mode must not pay at all.
    const [
      { openSharedRedis },
      { createRedisClient },
      { RedisAdmissionStore },
      { RedisPendingDeployStore },
      { RedisDeployWatch },
      { RedisAttestationStore },
    ] = await Promise.all([
      import('./redis/shared-connection.js'),
      import('./redis/connection.js'),
      import('./replay/redis-admission.js'),
      import('./quorum/redis-pending-deploy-store.js'),
      import('./quorum/redis-deploy-watch.js'),
      import('./release/redis-attestation-store.js'),
    ]);
    const redis = await openSharedRedis({ url: config.redisUrl, logger });
    const admission = new RedisAdmissionStore({
      redis,
      prefix: config.redisPrefix,
      toleranceSeconds: config.toleranceSeconds,
    });
    return {
      mode: 'redis',
      redis,
      admission,
      // Redis keeps nonces across gateway restarts; this also restores this instance's
      // recent nonces into a Redis that restarted empty.
      nonceSink: admission,
      deploys: new RedisPendingDeployStore({
        redis,
        prefix: config.redisPrefix,
        clock,
        maxOpenPerClient: config.pendingDeploysPerClient,
      }),
      // SUBSCRIBE blocks a connection for anything else: the watch gets its own.
      deployWatch: new RedisDeployWatch({
        redis,
        subscriber: createRedisClient({
          url: config.redisUrl,
          connectionName: 'codex-gateway-watch',
          onError: () => undefined, // the shared connection already logs outages
        }),
        prefix: config.redisPrefix,
        onError: (err) => logger.debug({ err: { message: err.message } }, 'deploy watch'),
      }),
      attestations: new RedisAttestationStore({ redis, prefix: config.redisPrefix }),
    };
  }
  const admission = new MemoryAdmissionStore({
    capacity: config.nonceCapacity,
    toleranceSeconds: config.toleranceSeconds,
  });
  return {
    mode: 'memory',
    admission,
    nonceSink: admission,
    deploys: new MemoryPendingDeployStore({
      clock,
      maxOpenPerClient: config.pendingDeploysPerClient,
    }),
    deployWatch: new MemoryDeployWatch(),
    attestations: new MemoryAttestationStore({ nowMs: () => clock.nowMs() }),
    nonceStore: () => ({
      size: admission.nonces.size,
      capacity: config.nonceCapacity,
      highWaterTimestamp: admission.nonces.highWater,
    }),
  };
}

async function loadClients(
  config: GatewayConfig,
  print: (text: string) => void,
): Promise<ClientRegistry> {
  if (config.clientsFile !== undefined)
    return loadClientsFile(config.clientsFile, { production: config.production });
  if (config.production)
    throw new ConfigError('GATEWAY_CLIENTS_FILE is required when NODE_ENV=production');
  // Kept in the data dir, so a restart keeps the client and the exports below keep working.
  const dev = await loadOrCreateDevClient(config.dataDir);
  const head = 'codex-gateway: development mode (no GATEWAY_CLIENTS_FILE).';
  const lines =
    dev.created !== undefined
      ? [
          '',
          `${head} Development client ${dev.id} created (scopes: ${SCOPES.join(' ')}),`,
          `saved with mode 0600 in ${dev.file} and reused on every restart.`,
          'Paste these into the shell you send from (printed this once; the file keeps only a hash of the key):',
          '',
          `  export CODEX_API_KEY=${dev.created.apiKey}`,
          `  export CODEX_SIGNING_SECRET=${dev.created.signingSecret}`,
          '',
        ]
      : [
          '',
          `${head} Development client ${dev.id} reused from ${dev.file}:`,
          'the CODEX_API_KEY / CODEX_SIGNING_SECRET exports printed when it was created still work.',
          `Lost them? Stop the gateway, delete ${dev.file}, start again: a new client is printed.`,
          '',
        ];
  print(lines.join('\n') + '\n');
  return dev.registry;
}
