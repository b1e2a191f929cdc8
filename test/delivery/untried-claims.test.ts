import { afterEach, describe, expect, it } from 'vitest';
import type { Settlement } from '../../src/delivery/delivery.js';
import { openFileOutbox } from '../../src/delivery/file-outbox.js';
import type { Outbox } from '../../src/delivery/outbox.js';
import { RedisOutbox } from '../../src/delivery/redis-outbox.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { owed, registryOf, tempOutboxDir } from './harness.js';

// Both adapters hold back deliveries never tried when the dispatcher asks them to (a
// target that is unavailable), while deliveries already tried keep their schedule.
const env = await sharedRedis('untried-claims');
const { targets } = registryOf([{ id: 'a', url: 'http://127.0.0.1:9/x' }]);
const A = new Map([['a', 100]]);
const HOLD = new Map([['a', 0]]);
const ONE = new Map([['a', 1]]);
// The file outbox takes the caller's clock; the Redis one reads Redis's own, so every
// time here is far in the past for both, and leases are short.
const NOW = 100_000;
const LEASE_MS = 50;
const opened: Outbox[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()));
});

const failed = (attempts: number, nextAttemptAtMs: number): Settlement => ({
  state: 'pending',
  attempts,
  status: null,
  nextAttemptAtMs,
});

function contract(open: () => Outbox): void {
  it('claims untried deliveries only within their own bound, oldest due first across both kinds', async () => {
    const o = open();
    opened.push(o);
    const [d1, d2, d3] = owed(targets, 3, 1_000);
    await o.enqueue([
      { ...d1!, createdAtMs: 1_000 },
      { ...d2!, createdAtMs: 2_000 },
      { ...d3!, createdAtMs: 3_000 },
    ]);

    expect(await o.claim(NOW, A, 10, HOLD)).toEqual([]); // all never tried: held
    const [probe, ...none] = await o.claim(NOW, A, 10, ONE);
    expect(none).toEqual([]);
    expect([probe!.id, probe!.attempts]).toEqual([d1!.id, 0]); // the oldest one
    expect(await o.settle(probe!, failed(1, 1_500), NOW)).toBe(true);

    // Tried: claimed by its schedule while the untried ones stay held.
    const [retry, ...rest] = await o.claim(NOW, A, 10, HOLD);
    expect(rest).toEqual([]);
    expect([retry!.id, retry!.attempts]).toEqual([d1!.id, 1]);
    expect(await o.settle(retry!, failed(2, 2_500), NOW)).toBe(true);

    // Without the hold, all of them, by due time across both kinds: d2 (2000), d1 (2500), d3 (3000).
    const all = await o.claim(NOW, A, 10, new Map([['a', 5]]));
    expect(all.map((c) => c.id)).toEqual([d2!.id, d1!.id, d3!.id]);
  });

  it('counts an expired lease as tried, and an operator retry as never tried', async () => {
    const o = open();
    opened.push(o);
    const [d1, d2] = owed(targets, 2, 1_000);
    await o.enqueue([d1!, { ...d2!, createdAtMs: 2_000 }]);
    const [leased] = await o.claim(NOW, A, 1, ONE);
    expect(leased!.id).toBe(d1!.id);
    await new Promise((r) => setTimeout(r, LEASE_MS * 3));
    // The claimer died mid-attempt (never settled): the attempt may have been made.
    const again = await o.claim(NOW + LEASE_MS * 3, A, 10, HOLD);
    expect(again.map((c) => c.id)).toEqual([d1!.id]);
    expect(await o.settle(again[0]!, { state: 'dead', attempts: 1, status: null }, NOW)).toBe(true);

    expect(await o.retry(d1!.id, 5_000)).toBe('retried');
    expect(await o.claim(NOW + LEASE_MS * 3, A, 10, HOLD)).toEqual([]);
    const released = await o.claim(NOW + LEASE_MS * 3, A, 10);
    expect(released.map((c) => c.id).sort()).toEqual([d1!.id, d2!.id].sort());
  });
}

describe('FileOutbox: untried deliveries', () => {
  contract(() => openFileOutbox(tempOutboxDir(), { leaseMs: LEASE_MS }));

  it('keeps the distinction across a restart (journal replay)', async () => {
    const dir = tempOutboxDir();
    const o = openFileOutbox(dir, { leaseMs: LEASE_MS });
    const [d1, d2] = owed(targets, 2, 1_000);
    await o.enqueue([d1!, d2!]);
    const [c] = await o.claim(NOW, A, 1, ONE);
    await o.settle(c!, failed(1, 1_500), NOW);
    await o.close();
    const reopened = openFileOutbox(dir, { leaseMs: LEASE_MS });
    opened.push(reopened);
    expect((await reopened.claim(NOW, A, 10, HOLD)).map((x) => [x.id, x.attempts])).toEqual([
      [d1!.id, 1],
    ]);
  });
});

let n = 0;
describeWithRedis(env, 'RedisOutbox: untried deliveries', () => {
  contract(
    () =>
      new RedisOutbox({
        redis: env.client(),
        prefix: `${env.prefix}${n++}:`,
        leaseMs: LEASE_MS,
        keepDelivered: 3,
      }),
  );
});
