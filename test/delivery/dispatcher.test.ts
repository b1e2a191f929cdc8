import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { noopDeliveryObserver } from '../../src/delivery/delivery-observer.js';
import { openFileOutbox } from '../../src/delivery/file-outbox.js';
import { registerDeliveryMetrics } from '../../src/metrics/delivery-metrics.js';
import { freePort } from '../helpers/redis.js';
import { FAST, owed, registryOf, startDispatcher, tempOutboxDir, type Harness } from './harness.js';
import { startReceiver, type Receiver } from './receiver.js';

const open: Array<Harness | Receiver> = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((x) => x.close()));
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  open.push(r);
  return r;
}

function run(...args: Parameters<typeof startDispatcher>): Harness {
  const h = startDispatcher(...args);
  open.push(h);
  return h;
}

/** The gaps between consecutive attempts, ms. */
function gaps(at: number[]): number[] {
  return at.slice(1).map((t, i) => t - (at[i] as number));
}

describe('DeliveryDispatcher with real receivers', () => {
  it('delivers signed bodies that the standardwebhooks library and §11 alone both verify', async () => {
    const rx = await receiver();
    const { targets, secrets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets);
    const deliveries = owed(targets, 5);
    await h.outbox.enqueue(deliveries);
    h.dispatcher.kick();
    await rx.waitFor((r) => r.length >= 5);
    const secret = (secrets.get('a') as string[])[0] as string;
    for (const r of rx.received) {
      expect(r.contentType).toBe('application/json');
      const headers = {
        'webhook-id': r.id,
        'webhook-timestamp': r.timestamp,
        'webhook-signature': r.signature,
      };
      const parsed = new Webhook(secret).verify(r.body, headers) as {
        type: string;
        data: { decision: string };
      };
      expect(parsed.type).toBe('event.allowed');
      const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
        .update(`${r.id}.${r.timestamp}.${r.body}`)
        .digest();
      const sent = Buffer.from(r.signature.split(',')[1] ?? '', 'base64');
      expect(timingSafeEqual(sent, mac)).toBe(true);
    }
    expect(new Set(rx.received.map((r) => r.id))).toEqual(new Set(deliveries.map((d) => d.id)));
    await expect.poll(() => h.audited.length).toBe(5);
    expect(
      h.audited.every((a) => a.outcome === 'delivered' && a.attempts === 1 && a.status === 200),
    ).toBe(true);
    await expect.poll(async () => (await h.outbox.list('delivered', 10)).length).toBe(5);
  });

  it('signs with every secret of a rotation', async () => {
    const rx = await receiver();
    const [oldS, newS] = [
      'whsec_' + Buffer.alloc(32, 1).toString('base64'),
      'whsec_' + Buffer.alloc(32, 2).toString('base64'),
    ];
    const { targets } = registryOf([{ id: 'a', url: rx.url, secrets: [newS, oldS] }]);
    const h = run(targets);
    await h.outbox.enqueue(owed(targets, 1));
    await rx.waitFor((r) => r.length === 1);
    const r = rx.received[0]!;
    const headers = {
      'webhook-id': r.id,
      'webhook-timestamp': r.timestamp,
      'webhook-signature': r.signature,
    };
    expect(() => new Webhook(oldS).verify(r.body, headers)).not.toThrow();
    expect(() => new Webhook(newS).verify(r.body, headers)).not.toThrow();
  });

  it('retries 500s with the same webhook-id and body until a 2xx (after N failures)', async () => {
    const rx = await receiver((_r, n) => ({ status: n < 3 ? 500 : 204 }));
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets);
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(rx.received).toHaveLength(4);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(1);
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    expect(h.audited[0]).toMatchObject({ outcome: 'delivered', attempts: 4, status: 204 });
    // Full jitter within the fast schedule: no gap beyond the cap (plus polling slack).
    for (const g of gaps(rx.received.map((r) => r.at))) expect(g).toBeLessThan(FAST.capMs + 150);
  });

  it('marks a delivery dead after the last try when the receiver is down, and audits it', async () => {
    const port = await freePort(); // nothing listens there
    const { targets } = registryOf([{ id: 'down', url: `http://127.0.0.1:${port}/hook` }]);
    const h = run(targets);
    const [d] = owed(targets, 1);
    await h.outbox.enqueue([d!]);
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(h.audited[0]).toMatchObject({
      id: d!.id,
      outcome: 'dead',
      attempts: FAST.maxAttempts,
      status: null,
    });
    await expect
      .poll(async () =>
        (await h.outbox.list('dead', 10)).map((x) => [x.id, x.attempts, x.lastStatus]),
      )
      .toEqual([[d!.id, FAST.maxAttempts, null]]);
    expect(await h.outbox.list('pending', 10)).toEqual([]);
  });

  it('holds deliveries never tried while a target is down, probes it, and sends them all once it is back', async () => {
    const port = await freePort(); // nothing listens there yet
    const { targets } = registryOf([{ id: 'down', url: `http://127.0.0.1:${port}/hook` }]);
    // The gateway's own metrics adapter, on a registry of its own.
    const outbox = openFileOutbox(tempOutboxDir());
    const registry = new Registry();
    const observer = registerDeliveryMetrics(
      registry,
      { stats: () => outbox.stats(), nowMs: () => Date.now() },
      ['down'],
    );
    const metric = async (series: string): Promise<number> =>
      Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(await registry.metrics())?.[1]);
    const held = 'gateway_delivery_target_unavailable{target="down"}';
    const attempts: string[] = [];
    const h = run(targets, {
      outbox,
      schedule: { ...FAST, maxAttempts: 1_000 },
      probeMs: 200,
      observer: {
        ...observer,
        attempt: (label, sec) => (attempts.push(label), observer.attempt(label, sec)),
      },
    });
    expect(await metric(held)).toBe(0);
    const [first] = owed(targets, 1);
    await h.outbox.enqueue([first!]);
    await expect.poll(() => metric(held)).toBe(1); // found down
    const later = owed(targets, 50);
    await h.outbox.enqueue(later);
    await new Promise((r) => setTimeout(r, 1_000));

    const pending = await h.outbox.list('pending', 100);
    const tried = pending.filter((d) => d.attempts > 0);
    // The one tried before keeps its schedule (retries every ≤ 200 ms); of the 50 new ones
    // only probes went out, one per 200 ms: about 5 in a second, not 50.
    expect(pending.find((d) => d.id === first!.id)!.attempts).toBeGreaterThan(2);
    expect(tried.length).toBeGreaterThanOrEqual(3);
    expect(tried.length).toBeLessThanOrEqual(1 + 8);
    expect(attempts.every((a) => a === 'network')).toBe(true);

    // The target comes back: the next probe or retry finds it, and everything goes out.
    const rx = await receiver(undefined, port);
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(51);
    expect(h.audited.every((a) => a.outcome === 'delivered')).toBe(true);
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(51);
    expect(await metric(held)).toBe(0);
    expect(await metric('gateway_delivery_attempts_total{result="network"}')).toBe(
      attempts.length - 51,
    );
  });

  it('makes a delivery held past its window dead without sending it, and audits it', async () => {
    const port = await freePort(); // nothing listens there
    const { targets } = registryOf([{ id: 'down', url: `http://127.0.0.1:${port}/hook` }]);
    const attempts: string[] = [];
    const h = run(targets, {
      schedule: { ...FAST, maxAttempts: 1_000, maxAgeMs: 400 },
      // The first probe's turn comes after the held ones' window ended: they are dead at
      // that turn, unsent, and do not use it up.
      probeMs: 1_000,
      observer: { ...noopDeliveryObserver, attempt: (label) => attempts.push(label) },
    });
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => attempts.length).toBeGreaterThan(0); // found down
    const held = owed(targets, 10);
    await h.outbox.enqueue(held);
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(11);
    const heldIds = new Set(held.map((d) => d.id));
    const unsent = h.audited.filter((a) => heldIds.has(a.id));
    expect(unsent).toHaveLength(10);
    expect(unsent.every((a) => a.outcome === 'dead' && a.attempts === 0 && a.status === null)).toBe(
      true,
    );
    expect(attempts.length).toBe(h.audited.find((a) => !heldIds.has(a.id))!.attempts);
    // The outbox records an outcome after its audit entry (dispatcher.ts): the last one may
    // still be on its way when the eleventh entry is seen.
    await expect.poll(async () => (await h.outbox.list('dead', 100)).length).toBe(11);
    expect(await h.outbox.list('pending', 100)).toEqual([]);
  });

  it('holds new deliveries after a 503, not after a 500 (the target answered)', async () => {
    for (const [status, held] of [
      [503, true],
      [500, false],
    ] as const) {
      const rx = await receiver(() => ({ status }));
      const { targets } = registryOf([{ id: `t${status}`, url: rx.url }]);
      const h = run(targets, { schedule: { ...FAST, maxAttempts: 1_000 }, probeMs: 60_000 });
      await h.outbox.enqueue(owed(targets, 1));
      await rx.waitFor((r) => r.length > 0);
      await h.outbox.enqueue(owed(targets, 20));
      await new Promise((r) => setTimeout(r, 300));
      const ids = new Set(rx.received.map((r) => r.id));
      expect(ids.size).toBe(held ? 1 : 21);
    }
  });

  it('gives up on a receiver slower than the timeout and retries', async () => {
    const rx = await receiver((_r, n) =>
      n < 2 ? { status: 200, delayMs: 1_000 } : { status: 200 },
    );
    const { targets } = registryOf([{ id: 'slow', url: rx.url }]);
    const h = run(targets, { timeoutMs: 150 });
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(h.audited[0]).toMatchObject({ outcome: 'delivered', attempts: 3 });
    expect(rx.received).toHaveLength(3);
  });

  it('treats a connection closed mid-answer as a failure', async () => {
    const rx = await receiver((_r, n) => (n === 0 ? { closeMidAnswer: true } : { status: 200 }));
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets);
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(h.audited[0]).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });

  it('does not follow redirects: a 3xx is a failed attempt and the other host hears nothing', async () => {
    const elsewhere = await receiver();
    const rx = await receiver(() => ({ status: 307, headers: { location: elsewhere.url } }));
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets);
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(h.audited[0]).toMatchObject({
      outcome: 'dead',
      attempts: FAST.maxAttempts,
      status: 307,
    });
    expect(elsewhere.received).toHaveLength(0);
  });

  it('honours Retry-After on 429 and 503 (seconds), up to the cap', async () => {
    const rx = await receiver((_r, n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets, { schedule: { ...FAST, capMs: 5_000 } });
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(gaps(rx.received.map((r) => r.at))[0]).toBeGreaterThanOrEqual(990);

    // A hint beyond the cap waits the cap, not the hint.
    const rx2 = await receiver((_r, n) =>
      n === 0 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
    );
    const two = registryOf([{ id: 'b', url: rx2.url }]);
    const h2 = run(two.targets, { schedule: { ...FAST, capMs: 300 } });
    await h2.outbox.enqueue(owed(two.targets, 1));
    await expect.poll(() => h2.audited.length, { timeout: 10_000 }).toBe(1);
    const g = gaps(rx2.received.map((r) => r.at))[0] as number;
    expect(g).toBeGreaterThanOrEqual(290);
    expect(g).toBeLessThan(2_000);
  });

  it("pauses a target's new deliveries for its Retry-After (429/503), up to the cap", async () => {
    for (const [retryAfter, capMs, pausedMs] of [
      ['1', 5_000, 1_000],
      ['3600', 300, 300], // a hint beyond the cap pauses for the cap
    ] as const) {
      const rx = await receiver((_r, n) =>
        n === 0 ? { status: 429, headers: { 'retry-after': retryAfter } } : { status: 200 },
      );
      const { targets } = registryOf([{ id: 'a', url: rx.url }]);
      // Without the pause a probe would go out every 20 ms, and find the target back.
      const h = run(targets, { schedule: { ...FAST, capMs }, probeMs: 20 });
      await h.outbox.enqueue(owed(targets, 1));
      await rx.waitFor((r) => r.length > 0);
      const pausedAt = rx.received[0]!.at;
      const later = owed(targets, 10);
      await h.outbox.enqueue(later);
      await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(11);
      const laterIds = new Set(later.map((d) => d.id));
      const firstLater = Math.min(
        ...rx.received.filter((r) => laterIds.has(r.id)).map((r) => r.at),
      );
      expect(firstLater - pausedAt).toBeGreaterThanOrEqual(pausedMs - 10);
      expect(firstLater - pausedAt).toBeLessThan(pausedMs + 2_000);
      expect(h.audited.every((a) => a.outcome === 'delivered')).toBe(true);
    }
  });

  it('retries a 429 without Retry-After on the ordinary schedule', async () => {
    const rx = await receiver((_r, n) => ({ status: n === 0 ? 429 : 200 }));
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets, { schedule: { ...FAST, capMs: 5_000 } });
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    // First retry within the base (20 ms) plus polling slack, far below a second.
    expect(gaps(rx.received.map((r) => r.at))[0]).toBeLessThan(500);
  });

  it('ignores Retry-After on other statuses (a 500 is retried on the schedule)', async () => {
    const rx = await receiver((_r, n) =>
      n === 0 ? { status: 500, headers: { 'retry-after': '3' } } : { status: 200 },
    );
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    const h = run(targets, { schedule: { ...FAST, capMs: 5_000 } });
    await h.outbox.enqueue(owed(targets, 1));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(1);
    expect(gaps(rx.received.map((r) => r.at))[0]).toBeLessThan(1_000);
  });

  it('keeps a hanging target from slowing another, within the per-target bound', async () => {
    const stuck = await receiver(() => ({ hang: true }));
    const fast = await receiver();
    const { targets } = registryOf([
      { id: 'stuck', url: stuck.url },
      { id: 'fast', url: fast.url },
    ]);
    const h = run(targets, { timeoutMs: 5_000, perTarget: 2, total: 4 });
    const started = Date.now();
    await h.outbox.enqueue(owed(targets, 20)); // 20 for each target
    await fast.waitFor((r) => r.length >= 20);
    expect(Date.now() - started).toBeLessThan(3_000);
    // The stuck target holds only its own two slots.
    expect(stuck.received.length).toBe(2);
    expect(stuck.maxConcurrent).toBeLessThanOrEqual(2);
    expect(fast.maxConcurrent).toBeLessThanOrEqual(2);
  });

  it('bounds total concurrency across targets', async () => {
    const rxs = await Promise.all(
      [0, 1, 2].map(() => receiver(() => ({ status: 200, delayMs: 30 }))),
    );
    const { targets } = registryOf(rxs.map((r, i) => ({ id: `t${i}`, url: r.url })));
    const h = run(targets, { perTarget: 4, total: 5 });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, h.dispatcher.inFlight)), 1);
    await h.outbox.enqueue(owed(targets, 15));
    await expect.poll(() => h.audited.length, { timeout: 10_000 }).toBe(45);
    clearInterval(timer);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(1);
    for (const r of rxs) expect(r.maxConcurrent).toBeLessThanOrEqual(4);
  });

  it('does not record a final outcome it could not audit: the delivery stays pending', async () => {
    const rx = await receiver();
    const { targets } = registryOf([{ id: 'a', url: rx.url }]);
    let failAudit = true;
    const audited: string[] = [];
    const h = run(targets, {
      audit: async (o) => {
        if (failAudit) throw new Error('log down');
        audited.push(o.id);
      },
    });
    const [d] = owed(targets, 1);
    await h.outbox.enqueue([d!]);
    await rx.waitFor((r) => r.length >= 1);
    await expect
      .poll(async () => (await h.outbox.list('pending', 5))[0]?.attempts ?? 0)
      .toBeGreaterThan(1);
    expect(await h.outbox.list('delivered', 5)).toEqual([]);
    failAudit = false;
    await expect.poll(() => audited, { timeout: 5_000 }).toEqual([d!.id]);
    await expect
      .poll(async () => (await h.outbox.list('delivered', 5)).map((x) => x.id))
      .toEqual([d!.id]);
  });
});
