/**
 * Port: what the request path records for operators. Routes and middleware call these
 * methods; only `prometheus-metrics.ts` knows about prom-client, so the domain and the
 * HTTP code stay free of it and tests can pass `noopMetrics`.
 */

/** Timed stages of a signed request (docs/protocol.md §2 checks 1–6, policy evaluation, audit append). */
export type Stage = 'verify' | 'policy' | 'audit_append';

/** Outcome of a decision as audited (docs/protocol.md §3, §5). */
export type DecisionOutcome = 'allow' | 'deny' | 'pending';

export interface Metrics {
  /**
   * One finished HTTP request. `route` is the matched route pattern (`/v1/deploys/:id`) or
   * `unmatched`, never the raw path, so hostile paths cannot grow the label set.
   */
  request(route: string, method: string, status: number, seconds: number): void;
  /** One problem+json answer, by its stable code (docs/protocol.md §7). */
  refusal(code: string): void;
  /** One audited decision; an empty `reasons` list is recorded as reason `none`. */
  decision(outcome: DecisionOutcome, reasons: readonly string[]): void;
  /** Duration of one stage, in seconds. */
  stage(stage: Stage, seconds: number): void;
  /** An audit checkpoint covering the current tree was signed and served at `atMs` (unix ms). */
  checkpoint(atMs: number): void;
}

/** Records nothing: for tests and tools that build an app without an operator watching. */
export const noopMetrics: Metrics = {
  request: () => {},
  refusal: () => {},
  decision: () => {},
  stage: () => {},
  checkpoint: () => {},
};

/** Runs `fn` and records its duration under `stage`, whether it returns or throws. */
export function timeSync<T>(metrics: Metrics, stage: Stage, fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    metrics.stage(stage, (performance.now() - started) / 1000);
  }
}

/** Awaits `fn` and records its duration under `stage`, whether it resolves or rejects. */
export async function timeAsync<T>(
  metrics: Metrics,
  stage: Stage,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    metrics.stage(stage, (performance.now() - started) / 1000);
  }
}

/** The recorder plus the exposition `GET /metrics` serves (an app dependency). */
export interface MetricsEndpoint {
  readonly metrics: Metrics;
  /** Exposition text and its content type, gauges collected at call time. */
  render(): Promise<{ contentType: string; body: string }>;
}
