/**
 * Port: state that other modules own and that is read only when `/metrics` is scraped
 * (never on the request path). compose.ts passes a callback for each module that exists;
 * a missing callback simply leaves its gauges out of the scrape. A callback that throws
 * or rejects is skipped for that scrape, so a broken source cannot break `/metrics`.
 */

/** The replay (nonce) store. */
export interface NonceStoreState {
  /** Nonces remembered now. */
  readonly size: number;
  /** Configured bound, when the store has one (memory mode). */
  readonly capacity?: number;
  /**
   * Unix seconds of the newest entry dropped for capacity (docs/protocol.md §2 check 6): requests
   * at or before it are refused. -1 while nothing was dropped.
   */
  readonly highWaterTimestamp?: number;
}

/** The audit Merkle log. (The last checkpoint time is recorded by `Metrics.checkpoint`.) */
export interface AuditLogState {
  readonly size: number;
}

/** The active policy and the reloader's record. */
export interface PolicyState {
  /** `sha256:<hex>` of the active revision; absent when no good policy was ever loaded. */
  readonly revision?: string;
  /** RFC 3339 time the active revision became active. */
  readonly activatedAt?: string;
  /** True when the latest reload attempt was rejected (the last good policy stays). */
  readonly lastReloadFailed: boolean;
  /** Rejected reloads since start, when the reloader counts them. */
  readonly reloadFailures?: number;
}

type Source<T> = () => T | Promise<T>;

export interface GaugeSources {
  readonly nonceStore?: Source<NonceStoreState>;
  readonly auditLog?: Source<AuditLogState>;
  readonly policy?: Source<PolicyState>;
  /** Candidate-policy disagreements since start (docs/protocol.md §13); only with a candidate file. */
  readonly candidateDisagreements?: Source<number>;
  /** Whether Redis answers; only given in Redis mode. */
  readonly redisUp?: Source<boolean>;
}
