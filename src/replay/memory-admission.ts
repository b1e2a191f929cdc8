import type { AdmissionRequest, AdmissionResult, AdmissionStore } from './admission.js';
import { MemoryNonceStore } from './memory-nonce-store.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

/** A per-client rate limiter (check 5); the memory and Redis adapters share its algorithm. */
export interface RateLimiter {
  take(
    clientId: string,
    ratePerMinute: number,
    nowMs: number,
  ): { ok: true } | { ok: false; retryAfterSeconds: number };
}

/**
 * The embedded (single-process) AdmissionStore: rate limit first, then nonce claim, in
 * docs/protocol.md §2 order. Synchronous inside, so the pair is atomic in this process.
 */
export class MemoryAdmissionStore implements AdmissionStore {
  readonly nonces: MemoryNonceStore;

  constructor(
    opts: { capacity: number; toleranceSeconds: number },
    /** Defaults to the sliding-window limiter of rate-limit.ts (same algorithm as Redis). */
    private readonly limiter: RateLimiter = new MemoryRateLimiter(),
  ) {
    this.nonces = new MemoryNonceStore(opts.capacity, opts.toleranceSeconds);
  }

  admit(req: AdmissionRequest): Promise<AdmissionResult> {
    if (req.ratePerMinute !== undefined) {
      const rate = this.limiter.take(req.clientId, req.ratePerMinute, req.nowMs);
      if (!rate.ok)
        return Promise.resolve({
          ok: false,
          code: 'rate_limited',
          retryAfterSeconds: rate.retryAfterSeconds,
        });
    }
    const claim = this.nonces.claim(
      req.clientId,
      req.nonce,
      req.timestamp,
      req.nowMs,
      req.nonceSha256,
    );
    if (claim === 'replayed') return Promise.resolve({ ok: false, code: 'replayed_nonce' });
    if (claim === 'too_old') return Promise.resolve({ ok: false, code: 'timestamp_out_of_range' });
    return Promise.resolve({ ok: true });
  }

  remember(nonceSha256: string, timestamp: number, nowMs: number): Promise<void> {
    this.nonces.remember(nonceSha256, timestamp, nowMs);
    return Promise.resolve();
  }

  /** Refuses every request not newer than `timestamp` (recovery could not read every nonce). */
  refuseUpTo(timestamp: number): void {
    this.nonces.raiseHighWater(timestamp);
  }

  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
