import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryNonceStore,
  type NonceClaim,
  nonceKey,
} from '../../src/replay/memory-nonce-store.js';

const T0 = 1_700_000_000;
const ms = (s: number): number => s * 1000;

/** True in about `percent` of 100 draws. */
const sometimes = (percent: number) => fc.nat(99).map((n) => n < percent);
/**
 * One step of the model test: time moves on by 2 minutes (1%), the timestamp lies up to
 * 400 s before now + 60 s, a used nonce is sent again (30%), or the step is a recovery
 * (`remember`, 5%) rather than a claim.
 */
const operation = fc.record({
  advance: sometimes(1),
  back: fc.nat(400_000),
  replay: sometimes(30),
  pick: fc.nat(),
  remember: sometimes(5),
});
/** Long enough to fill a capacity of 1,500 and wrap it. */
const OPERATIONS = { minLength: 1000, maxLength: 4000, size: 'max' } as const;

describe('MemoryNonceStore', () => {
  it('claims a nonce once and refuses it again for the same client only', () => {
    const store = new MemoryNonceStore(100, 300);
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0))).toBe('claimed');
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0))).toBe('replayed');
    expect(store.claim('b', 'nonce-0000000000001', T0, ms(T0))).toBe('claimed');
  });

  it('separates client and nonce so "a\\nb"+"c" cannot collide with "a"+"b\\nc"', () => {
    const store = new MemoryNonceStore(100, 300);
    expect(store.claim('x', 'nonce-aaaaaaaaaaaaaa', T0, ms(T0))).toBe('claimed');
    expect(store.claim('x-', 'nonce-aaaaaaaaaaaaaa', T0, ms(T0))).toBe('claimed');
  });

  it('forgets a nonce only after its timestamp left the window', () => {
    const store = new MemoryNonceStore(100, 300);
    store.claim('a', 'nonce-0000000000001', T0, ms(T0));
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0 + 300))).toBe('replayed');
    store.claim('a', 'nonce-0000000000002', T0 + 301, ms(T0 + 301));
    expect(store.size).toBe(1);
  });

  describe('when full', () => {
    it('drops the oldest entry and refuses every timestamp not newer than it', () => {
      const store = new MemoryNonceStore(3, 300);
      store.claim('a', 'nonce-0000000000001', T0 + 5, ms(T0 + 10));
      store.claim('a', 'nonce-0000000000002', T0 + 1, ms(T0 + 10));
      store.claim('a', 'nonce-0000000000003', T0 + 9, ms(T0 + 10));
      expect(store.claim('a', 'nonce-0000000000004', T0 + 10, ms(T0 + 10))).toBe('claimed');
      // The oldest by timestamp (T0+1) was forgotten, so T0+1 and older are refused...
      expect(store.highWater).toBe(T0 + 1);
      expect(store.claim('a', 'nonce-0000000000002', T0 + 1, ms(T0 + 10))).toBe('too_old');
      expect(store.claim('a', 'nonce-0000000000005', T0, ms(T0 + 10))).toBe('too_old');
      // ...while newer timestamps are still judged by the remembered nonces.
      expect(store.claim('a', 'nonce-0000000000001', T0 + 5, ms(T0 + 10))).toBe('replayed');
      expect(store.size).toBe(3);
    });

    it('never accepts a replay, whatever the flood, and stays within capacity', () => {
      const capacity = 1000;
      const store = new MemoryNonceStore(capacity, 300);
      const accepted: Array<[string, number]> = [];
      for (let i = 0; i < 20_000; i++) {
        const ts = T0 + (i % 600) - 300; // timestamps spread over the window, out of order
        const nonce = `nonce-${i.toString().padStart(14, '0')}`;
        if (store.claim('flood', nonce, ts, ms(T0)) === 'claimed') accepted.push([nonce, ts]);
        expect(store.size).toBeLessThanOrEqual(capacity);
      }
      for (const [nonce, ts] of accepted) {
        expect(store.claim('flood', nonce, ts, ms(T0))).not.toBe('claimed');
      }
    });
  });

  describe('its typed-array table', () => {
    it('agrees with a plain model over random claims, replays, recoveries and expiry', () => {
      fc.assert(
        // Small capacities keep the table busy: long probe runs, many evictions and deletions.
        fc.property(
          fc.constantFrom(1, 7, 64, 1500),
          fc.array(operation, OPERATIONS),
          (capacity, ops) => {
            const store = new MemoryNonceStore(capacity, 300);
            const model = new ModelStore(capacity, 300);
            const used: string[] = [];
            // Distinct timestamps: which of two equal ones is dropped first is left to the store.
            const stamps = new Set<number>();
            let now = T0;
            for (const [i, op] of ops.entries()) {
              if (op.advance) now += 120;
              const ts = now + 60 - op.back / 1000;
              if (stamps.has(ts)) continue;
              stamps.add(ts);
              const replay = op.replay && used.length > 0;
              const key = replay ? used[op.pick % used.length]! : nonceKey('c', `n-${i}`);
              if (!replay) used.push(key);
              if (op.remember) {
                store.remember(key, ts, ms(now));
                model.remember(key, ts, ms(now));
              } else {
                expect(store.claim('c', '', ts, ms(now), key)).toBe(model.claim(key, ts, ms(now)));
              }
              expect(store.size).toBe(model.size);
              expect(store.highWater).toBe(model.highWater);
            }
          },
        ),
        // No shrinking: over thousands of steps it takes minutes. The report still gives the
        // seed and path that replay the failing case.
        { numRuns: 60, endOnFailure: true },
      );
    });

    it('grows to a capacity of 100,000 and still refuses every nonce it holds', () => {
      const store = new MemoryNonceStore(100_000, 300);
      const keys = Array.from({ length: 100_000 }, (_, i) => nonceKey('c', `nonce-${i}`));
      for (const key of keys) expect(store.claim('c', '', T0, ms(T0), key)).toBe('claimed');
      expect(store.size).toBe(100_000);
      for (const key of keys) expect(store.claim('c', '', T0 + 1, ms(T0), key)).toBe('replayed');
      expect(store.claim('c', 'one more', T0 + 1, ms(T0))).toBe('claimed');
      expect(store.size).toBe(100_000);
      expect(store.highWater).toBe(T0);
    });

    it('refuses a key that is not a hex SHA-256 digest', () => {
      const store = new MemoryNonceStore(10, 300);
      for (const key of ['', 'ab', 'z'.repeat(64), `${'0'.repeat(63)}g`, '0'.repeat(66)])
        expect(() => store.claim('c', 'n', T0, ms(T0), key)).toThrow(RangeError);
      expect(() => store.remember('0'.repeat(62), T0, ms(T0))).toThrow(RangeError);
      expect(store.size).toBe(0);
    });
  });
});

/** The store's rules over a Map, evicting by a full scan: the reference for the table. */
class ModelStore {
  private readonly seen = new Map<string, number>();
  highWater = -1;

  constructor(
    private readonly capacity: number,
    private readonly tolerance: number,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  claim(key: string, ts: number, nowMs: number): NonceClaim {
    this.expire(nowMs);
    if (ts <= this.highWater) return 'too_old';
    return this.insert(key, ts);
  }

  remember(key: string, ts: number, nowMs: number): void {
    this.expire(nowMs);
    if (ts < nowMs / 1000 - this.tolerance || ts <= this.highWater) return;
    this.insert(key, ts);
  }

  private insert(key: string, ts: number): NonceClaim {
    if (this.seen.has(key)) return 'replayed';
    while (this.seen.size >= this.capacity) {
      const [oldest, when] = this.oldest()!;
      this.seen.delete(oldest);
      this.highWater = Math.max(this.highWater, when);
    }
    this.seen.set(key, ts);
    return 'claimed';
  }

  private expire(nowMs: number): void {
    for (const [key, ts] of [...this.seen])
      if (ts < nowMs / 1000 - this.tolerance) this.seen.delete(key);
  }

  private oldest(): [string, number] | undefined {
    let best: [string, number] | undefined;
    for (const e of this.seen) if (best === undefined || e[1] < best[1]) best = e;
    return best;
  }
}
