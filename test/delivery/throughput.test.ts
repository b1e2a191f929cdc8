import { afterEach, describe, expect, it } from 'vitest';
import { owed, registryOf, startDispatcher, type Harness } from './harness.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * Deliveries per second from the real file outbox (fsync per batch) through the real
 * dispatcher and HTTP sender to fast receivers on loopback, with the production
 * concurrency bounds (4 per target, 32 in total). A figure for the report, plus the check
 * that every one arrives exactly once when every answer is 200.
 */
const open: Array<Harness | Receiver> = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((x) => x.close()));
});

describe('delivery throughput to fast local receivers', () => {
  it.each([1, 4])(
    'sends 1000 deliveries to %i target(s)',
    async (n) => {
      const receivers = await Promise.all(Array.from({ length: n }, () => startReceiver()));
      open.push(...receivers);
      const { targets } = registryOf(receivers.map((r, i) => ({ id: `t${i}`, url: r.url })));
      const deliveries = owed(targets, 1000 / n);
      const h = startDispatcher(targets, { perTarget: 4, total: 32, pollMs: 250 });
      open.push(h);
      await h.outbox.enqueue(deliveries);
      const t0 = performance.now();
      h.dispatcher.kick();
      await expect
        .poll(() => h.audited.length, { timeout: 60_000, interval: 20 })
        .toBe(deliveries.length);
      const seconds = (performance.now() - t0) / 1000;
      const received = receivers.flatMap((r) => r.received.map((x) => x.id));
      expect(received).toHaveLength(deliveries.length);
      expect(new Set(received).size).toBe(deliveries.length);
      console.log(
        `[throughput] ${deliveries.length} deliveries to ${n} target(s) in ${seconds.toFixed(2)} s: ${(deliveries.length / seconds).toFixed(0)}/s`,
      );
    },
    90_000,
  );
});
