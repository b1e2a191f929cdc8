/**
 * Types of the delivery outbox (docs/protocol.md §11): what the gateway owes the systems behind
 * it. A delivery is one signed POST of one body to one target, retried until a 2xx answer
 * (`delivered`) or until the retry schedule gives up (`dead`).
 */

/** The happenings a target may receive. */
export const DELIVERY_TYPES = ['event.allowed', 'deploy.approved'] as const;
export type DeliveryType = (typeof DELIVERY_TYPES)[number];

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A delivery as first recorded, before any attempt. */
export interface NewDelivery {
  /** The `webhook-id`: the same on every attempt, the receiver's idempotency key. */
  readonly id: string;
  /** Target id from the targets file. */
  readonly target: string;
  readonly type: DeliveryType;
  /** The decision id the delivery is about. */
  readonly decision: string;
  /** The exact JSON body sent on every attempt (serialised once, so retries are identical). */
  readonly body: string;
  /** Unix ms it was recorded. */
  readonly createdAtMs: number;
}

/** A delivery with its progress. */
export interface DeliveryRecord extends NewDelivery {
  readonly state: DeliveryState;
  /** Attempts made since the delivery was recorded (or put back by an operator). */
  readonly attempts: number;
  /** HTTP status of the last attempt; null before the first answer or after a network error/timeout. */
  readonly lastStatus: number | null;
  /** Unix ms the next attempt is due (pending only). */
  readonly nextAttemptAtMs: number | null;
  /** Unix ms the retry window began: recording, or an operator's retry. Deadline = this + max age. */
  readonly windowStartMs: number;
}

/** A delivery taken for sending by one dispatcher; `lease` fences its settlement. */
export interface ClaimedDelivery extends DeliveryRecord {
  readonly lease: string;
}

/** What an attempt changed: the delivery's next state. */
export type Settlement =
  | { readonly state: 'delivered'; readonly attempts: number; readonly status: number }
  | {
      readonly state: 'pending';
      readonly attempts: number;
      readonly status: number | null;
      readonly nextAttemptAtMs: number;
    }
  | { readonly state: 'dead'; readonly attempts: number; readonly status: number | null };

/** The JSON shape of one delivery in `GET /v1/deliveries` (docs/protocol.md §11). */
export interface DeliveryView {
  readonly id: string;
  readonly target: string;
  readonly type: DeliveryType;
  readonly decision: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly lastStatus: number | null;
  /** RFC 3339 UTC with milliseconds; null once final. */
  readonly nextAttemptAt: string | null;
}

/** The public view of `record` (never its body). */
export function deliveryView(record: DeliveryRecord): DeliveryView {
  return {
    id: record.id,
    target: record.target,
    type: record.type,
    decision: record.decision,
    state: record.state,
    attempts: record.attempts,
    lastStatus: record.lastStatus,
    nextAttemptAt:
      record.state === 'pending' && record.nextAttemptAtMs !== null
        ? new Date(record.nextAttemptAtMs).toISOString()
        : null,
  };
}

/** Delivery ids are `msg_` and 32 lowercase hex; anything else cannot exist. */
export const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;
