/**
 * The retry schedule of docs/protocol.md §11 (pure). Exponential backoff with FULL jitter: the
 * delay before retry n (n ≥ 1) is uniform in [0, min(cap, base · 2^(n−1))], so the first
 * retry comes within `base` (5 s) and no two tries are more than `cap` (10 min) apart,
 * while many deliveries failing together spread out instead of retrying in lockstep.
 * A `Retry-After` on 429/503 is honoured as a lower bound, up to the cap. A delivery is
 * `dead` after `maxAttempts` tries or once `maxAgeMs` passed since its window began.
 */
export interface RetrySchedule {
  /** Upper bound of the first retry's delay, ms (contract: 5000). */
  readonly baseMs: number;
  /** Longest delay between two tries, ms (contract: 600000). */
  readonly capMs: number;
  /** Tries after which the delivery is dead (contract: 30). */
  readonly maxAttempts: number;
  /** Age after which the delivery is dead, ms (contract: 24 h). */
  readonly maxAgeMs: number;
}

/** The contract's schedule (production). Tests pass a faster one. */
export const CONTRACT_SCHEDULE: RetrySchedule = Object.freeze({
  // 4.75 s plus the dispatcher's 250 ms poll: the first retry is sent within 5 s.
  baseMs: 4_750,
  capMs: 10 * 60_000,
  maxAttempts: 30,
  maxAgeMs: 24 * 3_600_000,
});

/** Throws a RangeError naming the first field that is not usable. */
export function checkSchedule(s: RetrySchedule): RetrySchedule {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`${name} must be a positive integer`);
  }
  if (s.capMs < s.baseMs) throw new RangeError('capMs must be at least baseMs');
  return s;
}

/**
 * Delay before the next try after `attempts` failed tries (attempts ≥ 1), ms.
 * `random` returns a number in [0, 1); `retryAfterMs` is the receiver's hint, if any.
 */
export function retryDelayMs(
  s: RetrySchedule,
  attempts: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  // 2^(n-1) overflows nothing here: the exponent is clamped long before doubles lose integers.
  const ceiling = Math.min(s.capMs, s.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  return Math.min(s.capMs, Math.max(jittered, retryAfterMs));
}

/** What to do after a failed try: retry at a time, or give up. */
export type AfterFailure =
  { readonly state: 'pending'; readonly nextAttemptAtMs: number } | { readonly state: 'dead' };

/**
 * Decides the state after failed try number `attempts` made at `nowMs`, for a delivery
 * whose retry window began at `windowStartMs`. A retry that would fall past the deadline
 * is still made, at the deadline (the last chance inside 24 h), unless tries are used up.
 */
export function afterFailure(
  s: RetrySchedule,
  input: {
    readonly attempts: number;
    readonly nowMs: number;
    readonly windowStartMs: number;
    readonly retryAfterMs?: number;
  },
  random: () => number,
): AfterFailure {
  const deadline = input.windowStartMs + s.maxAgeMs;
  if (input.attempts >= s.maxAttempts || input.nowMs >= deadline) return { state: 'dead' };
  const delay = retryDelayMs(s, input.attempts, random, input.retryAfterMs);
  return { state: 'pending', nextAttemptAtMs: Math.min(input.nowMs + delay, deadline) };
}

/**
 * Parses a `Retry-After` value into ms: delay-seconds (digits) or an HTTP-date. Anything
 * else, or a value in the past, is undefined (ignored). The receiver controls this header,
 * so it is bounded by the caller's cap, never trusted to be small.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^[0-9]{1,10}$/.test(v)) return Number(v) * 1000;
  // Only the IMF-fixdate form (RFC 9110 §5.6.7): Date.parse alone would read '-5' as a year.
  if (!/^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/.test(v))
    return undefined;
  const at = Date.parse(v);
  if (!Number.isFinite(at) || at <= nowMs) return undefined;
  return at - nowMs;
}
