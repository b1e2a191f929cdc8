/**
 * The per-client rate algorithm (docs/protocol.md §4 `ratePerMinute`, §2 check 5), pure.
 *
 * Algorithm: a sliding window of 60 one-second buckets, counted conservatively. A request
 * at time `t` (ms) falls in bucket `floor(t / 1000)`. The admitted count is the sum of the
 * buckets `current - 60 … current` (61 buckets, i.e. the last 60 to 61 seconds), and a
 * request is admitted only while that sum is below `ratePerMinute`.
 *
 * Why this one and not a token bucket / GCRA: every request admitted in `(t - 60 s, t]` lies
 * in one of the counted buckets, so the limit is strict — a client never gets more than
 * `ratePerMinute` requests through in ANY 60-second interval, bursts included (a token
 * bucket of the same size lets a full bucket plus the refill through in the first minute).
 * State is O(1) per client (at most 61 small counters), identical in memory and in Redis
 * (`redis-admission.ts` runs the same steps in Lua; a test compares the two).
 *
 * `Retry-After` is exact: the time until enough of the oldest buckets leave the window for
 * one more request to fit, rounded up to whole seconds (at least 1).
 */

/** Width of one bucket, milliseconds. */
export const RATE_BUCKET_MS = 1_000;
/** Buckets per minute; the window counts `RATE_BUCKETS + 1` buckets (see above). */
export const RATE_BUCKETS = 60;

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/** Index of the bucket that a request at `nowMs` (unix ms) is counted in. */
export function rateBucketIndex(nowMs: number): number {
  return Math.floor(nowMs / RATE_BUCKET_MS);
}

/** Oldest bucket index still counted at `nowMs`; older buckets can be discarded. */
export function oldestCountedBucket(nowMs: number): number {
  return rateBucketIndex(nowMs) - RATE_BUCKETS;
}

/**
 * Throws a RangeError unless `ratePerMinute` is a positive safe integer. The policy schema
 * already enforces this; a store checks again so a bad value fails closed (503), never open.
 */
export function assertRatePerMinute(ratePerMinute: number): void {
  if (!Number.isSafeInteger(ratePerMinute) || ratePerMinute < 1) {
    throw new RangeError('ratePerMinute must be a positive integer');
  }
}

/**
 * Decides whether one more request fits. `indexes[i]`/`counts[i]` are the client's buckets
 * in any order; stale buckets (older than `oldestCountedBucket(nowMs)`) are ignored, and
 * buckets from the future (another instance's clock running ahead) are counted, erring on
 * the strict side. Does not record anything: the caller records the hit in bucket
 * `rateBucketIndex(nowMs)` once the request is admitted.
 */
export function decideRate(
  indexes: ArrayLike<number>,
  counts: ArrayLike<number>,
  ratePerMinute: number,
  nowMs: number,
): RateDecision {
  assertRatePerMinute(ratePerMinute);
  const oldest = oldestCountedBucket(nowMs);
  let total = 0;
  for (let i = 0; i < indexes.length; i++) {
    if ((indexes[i] ?? -Infinity) >= oldest) total += counts[i] ?? 0;
  }
  if (total < ratePerMinute) return ALLOWED;
  return {
    allowed: false,
    retryAfterSeconds: retryAfterSeconds(indexes, counts, total, ratePerMinute, nowMs),
  };
}

/** Seconds until dropping the oldest counted buckets brings the total below the limit. */
function retryAfterSeconds(
  indexes: ArrayLike<number>,
  counts: ArrayLike<number>,
  total: number,
  ratePerMinute: number,
  nowMs: number,
): number {
  const oldest = oldestCountedBucket(nowMs);
  const live: Array<readonly [number, number]> = [];
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i] ?? -Infinity;
    if (index >= oldest) live.push([index, counts[i] ?? 0]);
  }
  live.sort((a, b) => a[0] - b[0]);
  let remaining = total;
  for (const [index, count] of live) {
    remaining -= count;
    if (remaining < ratePerMinute) {
      // Bucket `index` stops being counted once rateBucketIndex(t) > index + RATE_BUCKETS.
      const freeAtMs = (index + RATE_BUCKETS + 1) * RATE_BUCKET_MS;
      return Math.max(1, Math.ceil((freeAtMs - nowMs) / 1000));
    }
  }
  return 1; // unreachable: remaining reaches 0 < ratePerMinute
}
