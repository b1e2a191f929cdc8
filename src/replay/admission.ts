/**
 * Port: checks 5 and 6 of docs/protocol.md §2 in one step, so a shared store (Redis) answers both
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
  /**
   * `nonceKey(clientId, nonce)` (hex SHA-256 of `client\nnonce`) when the caller already has
   * it (the signed-request path records it in the audit entry): the stores then do not hash
   * again. Absent: each store computes it.
   */
  readonly nonceSha256?: string;
}

export type AdmissionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'rate_limited'; readonly retryAfterSeconds: number }
  | { readonly ok: false; readonly code: 'replayed_nonce' }
  /** A bounded store forgot entries at least this new: the request cannot be proven fresh. */
  | { readonly ok: false; readonly code: 'timestamp_out_of_range' };

export interface AdmissionStore {
  admit(request: AdmissionRequest): Promise<AdmissionResult>;
  /**
   * Marks a nonce as used without a request: the start-up recovery feeds back the nonces of
   * recent decisions from the audit log, so a request captured before a restart or crash
   * is still refused as a replay afterwards (docs/protocol.md §16). `nonceSha256` is the lowercase
   * hex SHA-256 of `client\nnonce`; `timestamp` the request's unix seconds.
   */
  remember(nonceSha256: string, timestamp: number, nowMs: number): Promise<void>;
  /** True when the backing store answers (feeds /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
