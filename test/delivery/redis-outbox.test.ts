import { expect, it } from 'vitest';
import type { ClaimedDelivery } from '../../src/delivery/delivery.js';
import { RedisOutbox } from '../../src/delivery/redis-outbox.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { FAST, owed, registryOf, startDispatcher, type Harness } from './harness.js';
import { startReceiver } from './receiver.js';

const env = await sharedRedis('redis-outbox');
const { targets } = registryOf([{ id: 'a', url: 'http://127.0.0.1:9/x' }]);
const A = new Map([['a', 100]]);
let n = 0;

/** An outbox on its own connection, as a separate instance would have. */
function outbox(prefix: string, leaseMs = 1_000): RedisOutbox {
  return new RedisOutbox({ redis: env.client(), prefix, leaseMs, keepDelivered: 3 });
}

describeWithRedis(env, 'RedisOutbox', () => {
  it('enqueues idempotently, claims with leases, settles, lists, retries and counts', async () => {
    const prefix = `${env.prefix}${n++}:`;
    const o = outbox(prefix, 60_000);
    const ds = owed(targets, 3, 1_000);
    await o.enqueue(ds);
    await o.enqueue(ds);
    expect((await o.list('pending', 10)).length).toBe(3);
    expect(await o.stats()).toEqual({ pending: 3, oldestPendingMs: 1_000 });

    const claims = await o.claim(0, A, 2);
    expect(claims).toHaveLength(2); // `max` bounds the total
    const more = await o.claim(0, A, 10);
    expect(more).toHaveLength(1);
    expect(await o.claim(0, A, 10)).toEqual([]); // all leased
    const [c0, c1] = claims as [ClaimedDelivery, ClaimedDelivery];
    const c2 = more[0] as ClaimedDelivery;
    expect(ds.find((d) => d.id === c0.id)?.body).toBe(c0.body);

    expect(await o.settle(c0, { state: 'delivered', attempts: 1, status: 200 }, 2_000)).toBe(true);
    expect(await o.settle(c0, { state: 'delivered', attempts: 1, status: 200 }, 2_000)).toBe(false);
    expect(await o.settle(c1, { state: 'dead', attempts: 30, status: null }, 2_100)).toBe(true);
    expect(
      await o.settle(c2, { state: 'pending', attempts: 1, status: 503, nextAttemptAtMs: 1 }, 2_200),
    ).toBe(true);
    expect((await o.claim(0, A, 10)).map((c) => [c.id, c.attempts, c.lastStatus])).toEqual([
      [c2.id, 1, 503],
    ]);

    expect((await o.list('delivered', 10)).map((d) => [d.id, d.state, d.lastStatus])).toEqual([
      [c0.id, 'delivered', 200],
    ]);
    expect(
      (await o.list('dead', 10)).map((d) => [d.id, d.attempts, d.lastStatus, d.nextAttemptAtMs]),
    ).toEqual([[c1.id, 30, null, null]]);
    expect(await o.retry('msg_' + 'f'.repeat(32), 5_000)).toBe('unknown_delivery');
    expect(await o.retry(c0.id, 5_000)).toBe('delivery_not_dead');
    expect(await o.retry(c1.id, 5_000)).toBe('retried');
    expect(await o.retry(c1.id, 5_000)).toBe('delivery_not_dead');
    expect((await o.list('pending', 10)).find((d) => d.id === c1.id)).toMatchObject({
      attempts: 0,
      windowStartMs: 5_000,
      nextAttemptAtMs: 5_000,
    });
    expect(await o.list('dead', 10)).toEqual([]);
  });

  it('trims delivered records to the newest N', async () => {
    const prefix = `${env.prefix}${n++}:`;
    const o = outbox(prefix);
    await o.enqueue(owed(targets, 5, 1_000));
    let t = 10_000;
    for (const c of await o.claim(0, A, 10))
      await o.settle(c, { state: 'delivered', attempts: 1, status: 200 }, t++);
    expect(await o.list('delivered', 10)).toHaveLength(3);
    const r = env.client();
    expect((await r.keys(`${prefix}dlv:d:*`)).length).toBe(3);
  });

  it('hands a dead instance claim to another once its lease expires; the old lease is refused', async () => {
    const prefix = `${env.prefix}${n++}:`;
    const one = outbox(prefix, 300);
    const two = outbox(prefix, 300);
    await one.enqueue(owed(targets, 1));
    const [c] = await one.claim(0, A, 10);
    expect(c).toBeDefined();
    expect(await two.claim(0, A, 10)).toEqual([]);
    await new Promise((r) => setTimeout(r, 350));
    const [taken] = await two.claim(0, A, 10);
    expect(taken?.id).toBe(c!.id);
    expect(taken?.lease).not.toBe(c!.lease);
    expect(await one.settle(c!, { state: 'delivered', attempts: 1, status: 200 }, 1)).toBe(false);
    expect(await two.settle(taken!, { state: 'delivered', attempts: 1, status: 200 }, 1)).toBe(
      true,
    );
  });

  it('two instances racing for the same due deliveries never send one concurrently', async () => {
    const prefix = `${env.prefix}${n++}:`;
    // Answers are slowish and a third fail, so leases, retries and re-claims overlap a lot.
    const rx = await startReceiver((_r, i) => ({
      status: i % 3 === 0 ? 500 : 200,
      delayMs: 5 + (i % 7),
    }));
    const { targets: live } = registryOf([
      { id: 'a', url: rx.url },
      { id: 'b', url: rx.url },
    ]);
    const audited: string[] = [];
    const by = { one: 0, two: 0 };
    const make = (name: 'one' | 'two'): Harness =>
      startDispatcher(live, {
        outbox: outbox(prefix, 2_000),
        timeoutMs: 1_000,
        pollMs: 1,
        perTarget: 8,
        total: 16,
        schedule: { ...FAST, baseMs: 5, capMs: 20, maxAttempts: 10 },
        audit: async (o) => {
          audited.push(o.id);
          by[name] += 1;
        },
      });
    const one = make('one');
    const two = make('two');
    try {
      const rounds = 10;
      const all = new Set<string>();
      for (let round = 0; round < rounds; round++) {
        const ds = owed(live, 15);
        for (const d of ds) all.add(d.id);
        await Promise.all([one.outbox.enqueue(ds.slice(0, 15)), two.outbox.enqueue(ds.slice(15))]);
        one.dispatcher.kick();
        two.dispatcher.kick();
      }
      await expect
        .poll(() => new Set(audited).size, { timeout: 30_000, interval: 50 })
        .toBe(all.size);
      const delivered = new Set(rx.received.map((r) => r.id));
      expect(delivered).toEqual(all);
      expect(rx.maxConcurrentPerId).toBe(1);
      // Both instances really took part, and failures made them re-claim.
      expect(by.one).toBeGreaterThan(0);
      expect(by.two).toBeGreaterThan(0);
      expect(rx.received.length).toBeGreaterThan(all.size);
      // The last outcome is audited before its settle reaches Redis: wait for that too.
      await expect
        .poll(() => one.dispatcher.inFlight + two.dispatcher.inFlight, { timeout: 5_000 })
        .toBe(0);
    } finally {
      await one.close();
      await two.close();
      await rx.close();
    }
  }, 60_000);
});
