import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditTime } from '../../src/audit/entry.js';

/** What auditTime was before issue 19 (it keeps the text of the last second since). */
function reference(ms: number): string {
  try {
    return new Date(ms).toISOString();
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

function actual(ms: number): string {
  try {
    return auditTime(ms);
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

const MAX = 8.64e15;

describe('auditTime', () => {
  it('equals toISOString on random instants, in random order and in runs within one second', () => {
    const instant = fc.oneof(
      fc.integer({ min: -MAX - 5000, max: MAX + 5000 }),
      fc.integer({ min: 1.7e12, max: 1.8e12 }),
      fc.constantFrom(0, -0, -1, 999, 1000, -1000, -999, MAX, -MAX, MAX + 1, -MAX - 1),
      fc.constantFrom(253402300799999, 253402300800000, -62167219200000, -62167219200001),
      fc.double({ noNaN: false }),
      fc.constantFrom(1.5, -1.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 8 }), fc.nat(3), (ms, step) => {
        for (const m of ms) {
          expect(actual(m)).toBe(reference(m));
          // The same second again, and its neighbours (the kept text must not leak across).
          for (const n of [m + step, m - step, m + 1000, m - 1000])
            expect(actual(n)).toBe(reference(n));
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
