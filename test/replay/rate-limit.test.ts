import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { MemoryRateLimiter } from '../../src/replay/memory-rate-limiter.js';
import { decideRate, rateBucketIndex } from '../../src/replay/rate-limit.js';

const T0 = 1_795_000_000_000; // a fixed instant, unix ms

describe('decideRate', () => {
  it('allows while the counted buckets sum below the limit', () => {
    const now = T0 + 500;
    const b = rateBucketIndex(now);
    expect(decideRate([b - 1, b], [1, 1], 3, now)).toEqual({ allowed: true });
    expect(decideRate([b - 1, b], [2, 1], 3, now).allowed).toBe(false);
  });

  it('ignores buckets older than 60 whole buckets back', () => {
    const now = T0;
    const b = rateBucketIndex(now);
    expect(decideRate([b - 61], [100], 1, now)).toEqual({ allowed: true });
    expect(decideRate([b - 60], [1], 1, now).allowed).toBe(false);
  });

  it('says when the oldest bucket leaves the window (Retry-After)', () => {
    const now = T0 + 250;
    const b = rateBucketIndex(now);
    // One request 10 s ago, limit 1: free once bucket b-10 is dropped at (b-10+61) s.
    expect(decideRate([b - 10], [1], 1, now)).toEqual({ allowed: false, retryAfterSeconds: 51 });
  });

  it('rejects a ratePerMinute that is not a positive integer (fails closed)', () => {
    expect(() => decideRate([], [], 0, T0)).toThrow(RangeError);
    expect(() => decideRate([], [], 1.5, T0)).toThrow(RangeError);
  });
});

describe('MemoryRateLimiter', () => {
  it('never admits more than ratePerMinute in any 60 s interval, and Retry-After is exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (limit, gaps) => {
          const limiter = new MemoryRateLimiter();
          const admitted: number[] = [];
          let now = T0;
          for (const gap of gaps) {
            now += gap;
            const result = limiter.take('c', limit, now);
            if (result.ok) {
              admitted.push(now);
            } else {
              // Not before Retry-After...
              if (result.retryAfterSeconds > 1) {
                const early = (result.retryAfterSeconds - 1) * 1000;
                expect(limiter.check('c', limit, now + early).allowed).toBe(false);
              }
              // ...but by then it is allowed.
              const later = now + result.retryAfterSeconds * 1000;
              expect(limiter.check('c', limit, later).allowed).toBe(true);
            }
          }
          for (let i = 0; i + limit < admitted.length; i++) {
            // The (limit+1)-th admission after admitted[i] is at least 60 s later.
            expect((admitted[i + limit] ?? 0) - (admitted[i] ?? 0)).toBeGreaterThanOrEqual(60_000);
          }
        },
      ),
    );
  });

  it('lets a full minute of requests through at once, then refuses with Retry-After', () => {
    const limiter = new MemoryRateLimiter();
    const results = Array.from({ length: 200 }, (_, i) => limiter.take('ci', 60, T0 + i));
    expect(results.filter((r) => r.ok)).toHaveLength(60);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(140);
    for (const r of refused) expect(r).toEqual({ ok: false, retryAfterSeconds: 61 });
  });

  it('keeps clients apart', () => {
    const limiter = new MemoryRateLimiter();
    expect(limiter.take('a', 1, T0).ok).toBe(true);
    expect(limiter.take('a', 1, T0).ok).toBe(false);
    expect(limiter.take('b', 1, T0).ok).toBe(true);
  });

  it('tracks at most maxClients, forgetting the one idle longest', () => {
    const limiter = new MemoryRateLimiter({ maxClients: 2 });
    limiter.take('a', 1, T0);
    limiter.take('b', 1, T0);
    limiter.take('a', 5, T0); // a used again: b is now the least recently used
    limiter.take('c', 1, T0);
    expect(limiter.size).toBe(2);
    expect(limiter.check('a', 1, T0).allowed).toBe(false);
    expect(limiter.check('b', 1, T0).allowed).toBe(true);
  });
});

describe('MemoryAdmissionStore with the default limiter', () => {
  const admit = (store: MemoryAdmissionStore, nonce: string, nowMs: number) =>
    store.admit({
      clientId: 'ci',
      nonce,
      timestamp: Math.floor(nowMs / 1000),
      nowMs,
      ratePerMinute: 2,
    });

  it('enforces ratePerMinute before the nonce check (docs/protocol.md §2 order)', async () => {
    const store = new MemoryAdmissionStore({ capacity: 100, toleranceSeconds: 300 });
    expect(await admit(store, 'nonce-0000000000000001', T0)).toEqual({ ok: true });
    expect(await admit(store, 'nonce-0000000000000001', T0)).toEqual({
      ok: false,
      code: 'replayed_nonce',
    });
    // The replay used up the second slot, as in Redis: now every request is limited.
    expect(await admit(store, 'nonce-0000000000000002', T0)).toEqual({
      ok: false,
      code: 'rate_limited',
      retryAfterSeconds: 61,
    });
    expect(await admit(store, 'nonce-0000000000000001', T0)).toMatchObject({
      code: 'rate_limited',
    });
  });
});
