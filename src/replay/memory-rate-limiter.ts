import type { RateLimiter } from './memory-admission.js';
import {
  RATE_BUCKETS,
  assertRatePerMinute,
  decideRate,
  rateBucketIndex,
  type RateDecision,
} from './rate-limit.js';

/** Slots per client: the counted window spans RATE_BUCKETS + 1 buckets. */
const SLOTS = RATE_BUCKETS + 1;

/** One client's ring of buckets; slot = bucket index mod SLOTS. */
interface ClientWindow {
  readonly indexes: Float64Array;
  readonly counts: Uint32Array;
}

export interface MemoryRateLimiterOptions {
  /**
   * Most clients tracked at once (default 10 000). Clients are authenticated entries of the
   * clients file, so this is never reached in practice; past it the client idle longest is
   * forgotten (its window restarts empty), which bounds memory at about 0.8 KiB per client.
   */
  readonly maxClients?: number;
}

/**
 * The sliding-window rate algorithm of `rate-limit.ts`, in process memory, for the embedded
 * (single-process) mode. `take` checks and, when allowed, counts the request in one
 * synchronous step (atomic in Node), exactly like the Redis script: the request is counted
 * before its nonce is claimed, so a replayed request also uses up one slot.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #maxClients: number;
  /** Insertion order = least recently used first (entries are re-inserted on use). */
  readonly #windows = new Map<string, ClientWindow>();

  constructor(options: MemoryRateLimiterOptions = {}) {
    const maxClients = options.maxClients ?? 10_000;
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new RangeError('maxClients must be a positive integer');
    }
    this.#maxClients = maxClients;
  }

  /** Number of clients currently tracked. */
  get size(): number {
    return this.#windows.size;
  }

  /** Checks one request of `clientId` at `nowMs` and counts it when it is allowed. */
  take(
    clientId: string,
    ratePerMinute: number,
    nowMs: number,
  ): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const decision = this.check(clientId, ratePerMinute, nowMs);
    if (!decision.allowed) return { ok: false, retryAfterSeconds: decision.retryAfterSeconds };
    this.record(clientId, nowMs);
    return { ok: true };
  }

  /** Whether `clientId` may send one more request at `nowMs` (unix ms) under `ratePerMinute`. */
  check(clientId: string, ratePerMinute: number, nowMs: number): RateDecision {
    assertRatePerMinute(ratePerMinute);
    const window = this.#windows.get(clientId);
    if (window === undefined) return { allowed: true };
    return decideRate(window.indexes, window.counts, ratePerMinute, nowMs);
  }

  /** Counts one admitted request of `clientId` at `nowMs`. */
  record(clientId: string, nowMs: number): void {
    let window = this.#windows.get(clientId);
    if (window === undefined) {
      window = { indexes: new Float64Array(SLOTS).fill(-Infinity), counts: new Uint32Array(SLOTS) };
      if (this.#windows.size >= this.#maxClients) this.#evictLeastRecentlyUsed();
    } else {
      this.#windows.delete(clientId);
    }
    this.#windows.set(clientId, window);
    const index = rateBucketIndex(nowMs);
    const slot = ((index % SLOTS) + SLOTS) % SLOTS;
    if (window.indexes[slot] !== index) {
      // The slot held a bucket at least SLOTS seconds old: no longer counted, reuse it.
      window.indexes[slot] = index;
      window.counts[slot] = 0;
    }
    window.counts[slot] = (window.counts[slot] ?? 0) + 1;
  }

  #evictLeastRecentlyUsed(): void {
    const oldest = this.#windows.keys().next();
    if (oldest.done !== true) this.#windows.delete(oldest.value);
  }
}
