import type {
  ClaimedDelivery,
  DeliveryRecord,
  DeliveryState,
  NewDelivery,
  Settlement,
} from './delivery.js';

/** Result of an operator's retry of one delivery. */
export type RetryOutcome = 'retried' | 'unknown_delivery' | 'delivery_not_dead';

/** Queue figures for metrics (read at scrape time only). */
export interface OutboxStats {
  /** Deliveries not yet delivered or dead. */
  readonly pending: number;
  /** Unix ms the oldest pending delivery's retry window began; null when none is pending. */
  readonly oldestPendingMs: number | null;
}

/**
 * Port: the durable outbox of owed deliveries. Adapters: a crash-safe journal file in the
 * data directory (one instance) and Redis (many instances, leases).
 *
 * Claims are leases: a claimed delivery is not handed to any other claimer until it is
 * settled or its lease expires, so at most one dispatcher sends it at a time. A
 * settlement whose lease was lost (expired and taken over) is refused and changes nothing.
 */
export interface Outbox {
  /**
   * Records `deliveries` durably (fsync / Redis acknowledgement) and resolves only then.
   * Idempotent by id: a delivery already recorded is left as it is. Rejects when they
   * could not be stored (the caller fails closed: the answer is 503).
   */
  enqueue(deliveries: readonly NewDelivery[]): Promise<void>;
  /**
   * Leases up to `limits.get(target)` due deliveries (next attempt ≤ `nowMs`) of each
   * target, oldest due first, visiting targets in the map's order, and at most `max` in all.
   * For a target in `untriedLimits`, at most that many of them may be deliveries never
   * tried yet (the dispatcher holds those back while a target is unavailable); deliveries
   * already tried are claimed by their schedule either way.
   */
  claim(
    nowMs: number,
    limits: ReadonlyMap<string, number>,
    max: number,
    untriedLimits?: ReadonlyMap<string, number>,
  ): Promise<ClaimedDelivery[]>;
  /** Applies `result` if `claim`'s lease is still held; resolves false (and changes nothing) if not. */
  settle(claim: ClaimedDelivery, result: Settlement, nowMs: number): Promise<boolean>;
  /** Deliveries in `state`: pending oldest first, delivered and dead newest first; at most `limit`. */
  list(state: DeliveryState, limit: number): Promise<DeliveryRecord[]>;
  /** Puts a `dead` delivery back to `pending`, due now, with a fresh retry window. */
  retry(id: string, nowMs: number): Promise<RetryOutcome>;
  stats(): Promise<OutboxStats>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
