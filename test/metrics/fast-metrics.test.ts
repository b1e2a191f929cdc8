import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { DecisionOutcome, Metrics, Stage } from '../../src/metrics/metrics-port.js';
import { createPrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';

/**
 * The request-path metrics are no longer prom-client Counters and Histograms (issue 19:
 * they hashed the labels on every update) but must expose the same text. The reference
 * below is the previous implementation, on prom-client itself; every random sequence of
 * recordings must render byte for byte the same exposition in both.
 */
function reference(): { metrics: Metrics; text: () => Promise<string>; registry: Registry } {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by matched route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'Time from the first middleware to the answer, by matched route pattern.',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const refusals = new Counter({
    name: 'gateway_refusals_total',
    help: 'Problem+json answers by stable error code (docs/protocol.md §7).',
    labelNames: ['code'] as const,
    registers,
  });
  const decisions = new Counter({
    name: 'gateway_decisions_total',
    help: 'Audited decisions by outcome and reason (one increment per reason; "none" when empty).',
    labelNames: ['outcome', 'reason'] as const,
    registers,
  });
  const stages = new Histogram({
    name: 'gateway_stage_duration_seconds',
    help: 'Duration of request stages: verify (checks 1-6 incl. nonce/rate store), policy, audit_append.',
    labelNames: ['stage'] as const,
    buckets: [
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ],
    registers,
  });
  const lastCheckpoint = new Gauge({
    name: 'gateway_audit_last_checkpoint_timestamp_seconds',
    help: 'Unix time the last audit checkpoint (signed note of the current tree) was served.',
    registers,
  });
  const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  return {
    metrics: {
      request(route, method, status, seconds) {
        const m = knownMethods.has(method) ? method : 'OTHER';
        requests.inc({ route, method: m, status: String(status) });
        requestSeconds.observe({ route }, seconds);
      },
      refusal: (code) => refusals.inc({ code }),
      decision(outcome, reasons) {
        if (reasons.length === 0) decisions.inc({ outcome, reason: 'none' });
        for (const reason of reasons) decisions.inc({ outcome, reason });
      },
      stage: (stage, seconds) => stages.observe({ stage }, seconds),
      checkpoint: (atMs) => lastCheckpoint.set(atMs / 1000),
    },
    text: () => registry.metrics(),
    registry,
  };
}

type Op = (m: Metrics) => void;
const seconds = fc.oneof(
  fc.constantFrom(0, 0.00005, 0.0005, 0.001, 1, 2.5, 3, 1e-9, 0.1 + 0.2, NaN, Infinity),
  fc.double({ min: 0, max: 5, noNaN: true }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('/v1/events', '/v1/deploys/:id', 'unmatched', '/metrics'),
      fc.constantFrom('GET', 'POST', 'HEAD', 'BREW', 'get'),
      fc.constantFrom(200, 202, 401, 403, 404, 413, 503),
      seconds,
    )
    .map(
      ([r, method, status, s]) =>
        (m: Metrics) =>
          m.request(r, method, status, s),
    ),
  fc
    .constantFrom('bad_signature', 'replayed_nonce', 'rate_limited', 'a"quote\\back\nline')
    .map((code) => (m: Metrics) => m.refusal(code)),
  fc
    .tuple(
      fc.constantFrom<DecisionOutcome>('allow', 'deny', 'pending'),
      fc.array(fc.constantFrom('max_steps', 'deny_pattern:rm_root', 'deny_emoji'), {
        maxLength: 3,
      }),
    )
    .map(
      ([outcome, reasons]) =>
        (m: Metrics) =>
          m.decision(outcome, reasons),
    ),
  fc.tuple(fc.constantFrom<Stage>('verify', 'policy', 'audit_append'), seconds).map(
    ([stage, s]) =>
      (m: Metrics) =>
        m.stage(stage, s),
  ),
  fc.nat({ max: 4e12 }).map((atMs) => (m: Metrics) => m.checkpoint(atMs)),
);

describe('the request-path metrics (own counters and histograms)', () => {
  it('render exactly the exposition prom-client rendered, for any sequence of recordings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const fast = createPrometheusMetrics();
        const ref = reference();
        const outcome = (o: Op, m: Metrics): string => {
          try {
            o(m);
            return 'ok';
          } catch (err) {
            return (err as Error).name;
          }
        };
        // Same refusals too (a NaN duration throws TypeError, after counting the request).
        for (const o of ops) expect(outcome(o, fast.metrics)).toBe(outcome(o, ref.metrics));
        const [a, b] = [(await fast.render()).body, await ref.text()];
        expect(a).toBe(b);
        // Scraping twice changes nothing.
        expect((await fast.render()).body).toBe(a);
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it('reset like prom-client: registry.resetMetrics() drops every series, later use brings them back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.array(op, { maxLength: 40 }),
        async (before, after) => {
          const fast = createPrometheusMetrics();
          const ref = reference();
          const run = (o: Op, m: Metrics): void => {
            try {
              o(m);
            } catch {
              // Same refusals on both sides (checked by the test above).
            }
          };
          for (const o of before) {
            run(o, fast.metrics);
            run(o, ref.metrics);
          }
          fast.registry.resetMetrics();
          ref.registry.resetMetrics();
          expect((await fast.render()).body).toBe(await ref.text());
          for (const o of after) {
            run(o, fast.metrics);
            run(o, ref.metrics);
          }
          expect((await fast.render()).body).toBe(await ref.text());
        },
      ),
      { numRuns: 300, seed: 23 },
    );
  });
});
