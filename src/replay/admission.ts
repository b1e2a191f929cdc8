/**
 * Port: checks 5 and 6 of PROTOCOL §2 in one step, so a shared store (Redis) answers both
 * in a single round trip. Adapters: `memory-admission.ts` (embedded default) and the Redis
 * one. Implementations fail closed: if the store cannot answer, `admit` rejects and the
 * caller answers 503 `unavailable`, never an accept.
 */
export interface AdmissionRequest {
  readonly clientId: string;
  /** The X-Codex-Nonce value, already validated against the header grammar. */
  readonly nonce: string;
  /** Unix seconds from X-Codex-Timestamp, already inside the tolerance window. */
  readonly timestamp: number;
  /** Current time, unix milliseconds. */
  readonly nowMs: number;
  /** Client's limit from the active policy; undefined means no limit. */
  readonly ratePerMinute: number | undefined;
}

export type AdmissionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly ok: false; readonly code: 'replayed_nonce' }
  /** A bounded store forgot entries at least this new: the request cannot be proven fresh. */
  | { readonly ok: false; readonly code: 'timestamp_out_of_range' };

export interface AdmissionStore {
  admit(request: AdmissionRequest): Promise<AdmissionResult>;
  /** True when the backing store answers (feeds /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
