import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import {
  type CounterSeries,
  CounterFamily,
  checkObservation,
  type HistogramSeries,
  HistogramFamily,
} from './fast-metrics.js';
import type { GaugeSources } from './gauge-sources.js';
import { registerEventLoopMetrics } from './event-loop-metrics.js';
import type { DecisionOutcome, Metrics, MetricsEndpoint, Stage } from './metrics-port.js';

/** Seconds; the hot path sits in the tens of microseconds, a slow fsync in the tens of ms. */
const STAGE_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** A prom-client registry of its own (never the global one) and the recorder writing to it. */
export interface PrometheusMetrics extends MetricsEndpoint {
  readonly metrics: Metrics;
  readonly registry: Registry;
  /** The Prometheus text exposition of every metric, gauges collected now. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface PrometheusOptions {
  /** Also export process metrics (RSS, CPU, event-loop delay and utilisation, GC); off in unit tests. */
  readonly processMetrics?: boolean;
}

/**
 * Builds the gateway's metrics. Counters and histograms are updated on the request path
 * (a label lookup and an add); everything in `sources` is read only at scrape time.
 */
export function createPrometheusMetrics(
  sources: GaugeSources = {},
  options: PrometheusOptions = {},
): PrometheusMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics === true) {
    collectDefaultMetrics({ register: registry });
    registerEventLoopMetrics(registry);
  }

  // The five request-path metrics: series found through plain Maps and updated by an add
  // (fast-metrics.ts), rendered by the registry exactly as prom-client's own would be. A
  // series dropped by the registry's resetMetrics() is replaced on its next use.
  const requests = new CounterFamily(
    'gateway_http_requests_total',
    'HTTP requests answered, by matched route pattern, method and status.',
    registry,
  );
  const requestSeconds = new HistogramFamily(
    'gateway_http_request_duration_seconds',
    'Time from the first middleware to the answer, by matched route pattern.',
    REQUEST_BUCKETS,
    registry,
  );
  const refusals = new CounterFamily(
    'gateway_refusals_total',
    'Problem+json answers by stable error code (docs/protocol.md §7).',
    registry,
  );
  const decisions = new CounterFamily(
    'gateway_decisions_total',
    'Audited decisions by outcome and reason (one increment per reason; "none" when empty).',
    registry,
  );
  const stages = new HistogramFamily(
    'gateway_stage_duration_seconds',
    'Duration of request stages: verify (checks 1-6 incl. nonce/rate store), policy, audit_append.',
    STAGE_BUCKETS,
    registry,
  );
  const lastCheckpoint = new Gauge({
    name: 'gateway_audit_last_checkpoint_timestamp_seconds',
    help: 'Unix time the last audit checkpoint (signed note of the current tree) was served.',
    registers,
  });
  registerSourceGauges(registers, sources);

  // Methods outside this set become OTHER: a client must not be able to mint label values.
  const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  /** Per route pattern: its duration series and its request counts by method, then status. */
  const routes = new Map<
    string,
    { seconds: HistogramSeries | undefined; byMethod: Map<string, Map<number, CounterSeries>> }
  >();
  const refusalSeries = new Map<string, CounterSeries>();
  const decisionSeries = new Map<string, Map<string, CounterSeries>>();
  const stageSeries = new Map<string, HistogramSeries>();
  const decision = (outcome: string, reason: string): void => {
    let byReason = decisionSeries.get(outcome);
    if (byReason === undefined) decisionSeries.set(outcome, (byReason = new Map()));
    let s = byReason.get(reason);
    if (s === undefined || s.dropped)
      byReason.set(reason, (s = decisions.series({ outcome, reason })));
    s.value += 1;
  };
  const metrics: Metrics = {
    request(route, method, status, seconds) {
      const m = knownMethods.has(method) ? method : 'OTHER';
      let r = routes.get(route);
      if (r === undefined) routes.set(route, (r = { seconds: undefined, byMethod: new Map() }));
      let byStatus = r.byMethod.get(m);
      if (byStatus === undefined) r.byMethod.set(m, (byStatus = new Map()));
      let counter = byStatus.get(status);
      if (counter === undefined || counter.dropped)
        byStatus.set(
          status,
          (counter = requests.series({ route, method: m, status: String(status) })),
        );
      counter.value += 1;
      checkObservation(seconds);
      if (r.seconds === undefined || r.seconds.dropped)
        r.seconds = requestSeconds.series({ route });
      requestSeconds.observe(r.seconds, seconds);
    },
    refusal(code) {
      let s = refusalSeries.get(code);
      if (s === undefined || s.dropped) refusalSeries.set(code, (s = refusals.series({ code })));
      s.value += 1;
    },
    decision(outcome: DecisionOutcome, reasons) {
      if (reasons.length === 0) decision(outcome, 'none');
      for (const reason of reasons) decision(outcome, reason);
    },
    stage(stage: Stage, seconds) {
      checkObservation(seconds);
      let s = stageSeries.get(stage);
      if (s === undefined || s.dropped) stageSeries.set(stage, (s = stages.series({ stage })));
      stages.observe(s, seconds);
    },
    checkpoint(atMs) {
      lastCheckpoint.set(atMs / 1000);
    },
  };
  return {
    metrics,
    registry,
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** Reads a source, or undefined when it throws or rejects (that gauge is skipped this scrape). */
async function read<T>(source: (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  if (source === undefined) return undefined;
  try {
    return await source();
  } catch {
    return undefined;
  }
}

function registerSourceGauges(registers: Registry[], sources: GaugeSources): void {
  const gauge = (name: string, help: string, collect: (g: Gauge) => Promise<void>): void => {
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.reset();
        await collect(this);
      },
    });
  };
  if (sources.nonceStore !== undefined) {
    const nonce = sources.nonceStore;
    gauge('gateway_nonce_store_size', 'Nonces remembered by the replay store.', async (g) => {
      const s = await read(nonce);
      if (s !== undefined) g.set(s.size);
    });
    gauge('gateway_nonce_store_capacity', 'Bound of the memory nonce store.', async (g) => {
      const s = await read(nonce);
      if (s?.capacity !== undefined) g.set(s.capacity);
    });
    gauge(
      'gateway_nonce_store_high_water_timestamp_seconds',
      'Unix time of the newest nonce dropped for capacity; requests not newer are refused (-1: none).',
      async (g) => {
        const s = await read(nonce);
        if (s?.highWaterTimestamp !== undefined) g.set(s.highWaterTimestamp);
      },
    );
  }
  if (sources.auditLog !== undefined) {
    const audit = sources.auditLog;
    gauge('gateway_audit_tree_size', 'Entries in the audit Merkle tree.', async (g) => {
      const s = await read(audit);
      if (s !== undefined) g.set(s.size);
    });
  }
  if (sources.policy !== undefined) registerPolicyGauges(gauge, sources.policy, registers);
  if (sources.candidateDisagreements !== undefined) {
    const source = sources.candidateDisagreements;
    new Counter({
      name: 'gateway_policy_candidate_disagreements_total',
      help: 'Events on which the candidate policy (in the shadow) answered differently than the active one, since start.',
      registers,
      async collect() {
        const n = await read(source);
        this.reset();
        if (n !== undefined) this.inc(n);
      },
    });
  }
  if (sources.redisUp !== undefined) {
    const redis = sources.redisUp;
    gauge('gateway_redis_up', '1 when Redis answers, 0 when it does not.', async (g) => {
      g.set((await read(redis)) === true ? 1 : 0);
    });
  }
}

function registerPolicyGauges(
  gauge: (name: string, help: string, collect: (g: Gauge) => Promise<void>) => void,
  policy: NonNullable<GaugeSources['policy']>,
  registers: Registry[],
): void {
  new Gauge({
    name: 'gateway_policy_info',
    help: 'Active policy revision (value 1); absent when no good policy was ever loaded.',
    labelNames: ['revision'] as const,
    registers,
    async collect() {
      this.reset();
      const s = await read(policy);
      if (s?.revision !== undefined) this.set({ revision: s.revision }, 1);
    },
  });
  gauge(
    'gateway_policy_activated_timestamp_seconds',
    'Unix time the active policy revision became active.',
    async (g) => {
      const at = (await read(policy))?.activatedAt;
      const ms = at === undefined ? NaN : Date.parse(at);
      if (Number.isFinite(ms)) g.set(ms / 1000);
    },
  );
  gauge(
    'gateway_policy_last_reload_failed',
    '1 when the latest policy reload was rejected (the last good policy stays active).',
    async (g) => {
      const s = await read(policy);
      if (s !== undefined) g.set(s.lastReloadFailed ? 1 : 0);
    },
  );
  new Counter({
    name: 'gateway_policy_reload_failures_total',
    help: 'Rejected policy reloads since start.',
    registers,
    async collect() {
      const n = (await read(policy))?.reloadFailures;
      this.reset();
      if (n !== undefined) this.inc(n);
    },
  });
}
