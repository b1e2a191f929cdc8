import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  CONTRACT_SCHEDULE,
  parseRetryAfter,
  retryDelayMs,
} from '../../src/delivery/retry-schedule.js';

const S = CONTRACT_SCHEDULE;
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('the contract schedule', () => {
  it('is 5 s first-retry bound, 10 min cap, 30 tries, 24 h', () => {
    expect(S.baseMs).toBeLessThanOrEqual(5_000);
    expect(S).toMatchObject({ capMs: 600_000, maxAttempts: 30, maxAgeMs: 86_400_000 });
  });
});

describe('retryDelayMs (full jitter)', () => {
  it('puts the first retry within the base and every retry within the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), unit, (attempts, r) => {
        const d = retryDelayMs(S, attempts, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(S.capMs, S.baseMs * 2 ** (attempts - 1)));
        if (attempts === 1) expect(d).toBeLessThanOrEqual(S.baseMs);
      }),
    );
  });
  it('grows exponentially until the cap (the upper bound, random → 1)', () => {
    const top = (n: number): number => retryDelayMs(S, n, () => 0.999_999);
    expect(top(2)).toBeGreaterThan(top(1) * 1.9);
    expect(top(3)).toBeGreaterThan(top(2) * 1.9);
    expect(top(20)).toBeLessThanOrEqual(S.capMs);
    expect(top(20)).toBeGreaterThanOrEqual(S.capMs - 1);
  });
  it('honours Retry-After as a lower bound, up to the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        unit,
        fc.integer({ min: 0, max: 10 ** 9 }),
        (n, r, hint) => {
          const d = retryDelayMs(S, n, () => r, hint);
          expect(d).toBeGreaterThanOrEqual(Math.min(hint, S.capMs));
          expect(d).toBeLessThanOrEqual(S.capMs);
        },
      ),
    );
  });
});

describe('afterFailure', () => {
  it('is dead after the 30th try', () => {
    expect(afterFailure(S, { attempts: 29, nowMs: 1000, windowStartMs: 0 }, () => 0.5).state).toBe(
      'pending',
    );
    expect(afterFailure(S, { attempts: 30, nowMs: 1000, windowStartMs: 0 }, () => 0.5)).toEqual({
      state: 'dead',
    });
  });
  it('is dead after 24 h, and never schedules past the deadline', () => {
    expect(afterFailure(S, { attempts: 2, nowMs: S.maxAgeMs, windowStartMs: 0 }, () => 0)).toEqual({
      state: 'dead',
    });
    const late = afterFailure(
      S,
      { attempts: 20, nowMs: S.maxAgeMs - 1000, windowStartMs: 0 },
      () => 0.99,
    );
    expect(late).toEqual({ state: 'pending', nextAttemptAtMs: S.maxAgeMs });
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates; ignores the rest', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(' 0 ', 0)).toBe(0);
    const now = Date.parse('2026-11-21T20:00:00Z');
    expect(parseRetryAfter('Sat, 21 Nov 2026 20:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 19:00:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('-5', 0)).toBeUndefined();
    expect(parseRetryAfter('1.5', 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('9'.repeat(11), 0)).toBeUndefined();
  });
});
