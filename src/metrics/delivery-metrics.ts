import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptLabel, DeliveryObserver } from '../delivery/delivery-observer.js';
import type { OutboxStats } from '../delivery/outbox.js';

/** Seconds; a local receiver answers in milliseconds, the attempt deadline is 10 s. */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The delivery metrics (docs/protocol.md §11, issue 15) on the gateway's registry: final outcomes
 * and attempts are counted as they happen (off the request path, in the dispatcher); the
 * queue depth and the oldest pending delivery's age are read from the outbox only when
 * `/metrics` is scraped. Returns the observer the dispatcher reports to.
 */
export function registerDeliveryMetrics(
  registry: Registry,
  sources: { readonly stats: () => Promise<OutboxStats>; readonly nowMs: () => number },
  /** The targets file's ids: one `gateway_delivery_target_unavailable` series each. */
  targetIds: readonly string[],
): DeliveryObserver {
  const registers = [registry];
  const outcomes = new Counter({
    name: 'gateway_deliveries_total',
    help: 'Deliveries that reached a final state, by outcome (delivered, dead).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'gateway_delivery_attempts_total',
    help: 'Delivery attempts by result (success, http_error, timeout, network).',
    labelNames: ['result'] as const,
    registers,
  });
  const attemptSeconds = new Histogram({
    name: 'gateway_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (connect, send, answer).',
    buckets: ATTEMPT_BUCKETS,
    registers,
  });
  const unavailable = new Gauge({
    name: 'gateway_delivery_target_unavailable',
    help: '1 while a target is found down and its new deliveries are held (only probes go out), else 0.',
    labelNames: ['target'] as const,
    registers,
  });
  // Both gauges read one snapshot per scrape; a failing outbox leaves them out of it.
  let snapshot: Promise<OutboxStats | undefined> | undefined;
  const read = (): Promise<OutboxStats | undefined> => {
    snapshot ??= sources
      .stats()
      .catch(() => undefined)
      .finally(() => setTimeout(() => (snapshot = undefined), 0));
    return snapshot;
  };
  new Gauge({
    name: 'gateway_delivery_queue_depth',
    help: 'Deliveries pending (owed, not yet delivered or dead).',
    registers,
    async collect() {
      this.reset();
      const s = await read();
      if (s !== undefined) this.set(s.pending);
    },
  });
  new Gauge({
    name: 'gateway_delivery_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery (since it was owed or put back); 0 when none.',
    registers,
    async collect() {
      this.reset();
      const s = await read();
      if (s === undefined) return;
      this.set(
        s.oldestPendingMs === null ? 0 : Math.max(0, sources.nowMs() - s.oldestPendingMs) / 1000,
      );
    },
  });
  // Every label value is known up front, so each series exists from the first scrape.
  for (const o of ['delivered', 'dead'] as const) outcomes.inc({ outcome: o }, 0);
  for (const r of ['success', 'http_error', 'timeout', 'network'] as const)
    attempts.inc({ result: r }, 0);
  for (const target of targetIds) unavailable.set({ target }, 0);
  return {
    attempt(result: AttemptLabel, seconds: number) {
      attempts.inc({ result });
      attemptSeconds.observe(seconds);
    },
    outcome(outcome) {
      outcomes.inc({ outcome });
    },
    targetAvailability(target, available) {
      unavailable.set({ target }, available ? 0 : 1);
    },
  };
}
