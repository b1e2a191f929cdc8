import { MinHeap } from '../replay/min-heap.js';
import { JOURNAL_HEADER_BYTES } from './journal-format.js';
import {
  DELIVERY_STATES,
  DELIVERY_TYPES,
  type ClaimedDelivery,
  type DeliveryRecord,
  type DeliveryState,
  type NewDelivery,
  type Settlement,
} from './delivery.js';
import type { OutboxStats, RetryOutcome } from './outbox.js';

/**
 * The outbox's state in memory, changed only by journal operations (so replaying the
 * journal after a crash rebuilds exactly what was acknowledged), plus leases, which live
 * only in memory: a process that dies takes its leases with it, and everything it had
 * claimed is due again at the next start.
 */
export type JournalOp =
  | { readonly op: 'add'; readonly d: NewDelivery }
  | {
      readonly op: 'set';
      readonly id: string;
      readonly state: DeliveryState;
      readonly attempts: number;
      readonly status: number | null;
      readonly next: number | null;
      readonly at: number;
    }
  | { readonly op: 'retry'; readonly id: string; readonly at: number }
  | { readonly op: 'put'; readonly r: DeliveryRecord & { readonly finalAt: number | null } };

interface Rec {
  id: string;
  target: string;
  type: NewDelivery['type'];
  decision: string;
  /** Empty once delivered (never sent again, so not kept). */
  body: string;
  createdAtMs: number;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  nextAttemptAtMs: number | null;
  windowStartMs: number;
  finalAt: number | null;
  lease: string | null;
  leaseUntil: number;
  /** About the bytes of its `put` record in a snapshot (see `snapshotBytes`). */
  bytes: number;
}

/** Thrown by `apply` for an operation that does not fit the state (a damaged journal). */
export class JournalStateError extends Error {}

export class OutboxState {
  readonly #records = new Map<string, Rec>();
  /**
   * Per target: (due ms, id) entries of deliveries tried at least once or leased; stale
   * ones are skipped when popped.
   */
  readonly #due = new Map<string, MinHeap<string>>();
  /** Per target: the same for deliveries never tried (see `isUntried`). */
  readonly #untried = new Map<string, MinHeap<string>>();
  /** Delivered ids in the order they were delivered, for trimming. */
  readonly #delivered = new Set<string>();
  #bodyBytes = 0;
  #snapshotBytes = 0;

  constructor(private readonly keepDelivered: number) {}

  /** Bytes of bodies held (pending and dead deliveries). */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /**
   * About the size of `snapshot()` once framed, kept up to date per record so that deciding
   * whether to compact does not encode the whole state (with a target down, that is every
   * pending delivery, and encoding it stalled the event loop for hundreds of ms). Each
   * record's share is measured when it is inserted or emptied, with a margin for the
   * figures that change as it is retried.
   */
  get snapshotBytes(): number {
    return this.#snapshotBytes;
  }

  has(id: string): boolean {
    return this.#records.has(id);
  }

  /**
   * Applies one journal operation. Throws JournalStateError when it cannot apply.
   * `framedBytes`: the size of `op`'s journal record when the caller has just encoded it;
   * an `add` then measures its snapshot share without encoding its body again.
   */
  apply(op: JournalOp, framedBytes?: number): void {
    switch (op.op) {
      case 'add': {
        if (this.#records.has(op.d.id)) return; // idempotent
        checkNew(op.d);
        const bodyJson =
          framedBytes === undefined
            ? undefined
            : framedBytes - JOURNAL_HEADER_BYTES - jsonBytes({ ...op, d: { ...op.d, body: '' } });
        this.#insert(
          {
            ...op.d,
            state: 'pending',
            attempts: 0,
            lastStatus: null,
            nextAttemptAtMs: op.d.createdAtMs,
            windowStartMs: op.d.createdAtMs,
            finalAt: null,
            lease: null,
            leaseUntil: 0,
            bytes: 0,
          },
          bodyJson,
        );
        return;
      }
      case 'put': {
        const r = op.r;
        checkNew(r);
        if (!DELIVERY_STATES.includes(r.state)) throw new JournalStateError('bad state');
        if (this.#records.has(r.id)) throw new JournalStateError('duplicate record');
        this.#insert({ ...r, lease: null, leaseUntil: 0, bytes: 0 });
        return;
      }
      case 'set': {
        const rec = this.#records.get(op.id);
        if (rec === undefined) return; // trimmed after delivery; nothing left to change
        if (!DELIVERY_STATES.includes(op.state)) throw new JournalStateError('bad state');
        rec.attempts = op.attempts;
        rec.lastStatus = op.status;
        rec.lease = null;
        if (op.state === 'pending') {
          rec.nextAttemptAtMs = op.next ?? op.at;
          this.#push(rec);
        } else {
          this.#finish(rec, op.state, op.at);
        }
        return;
      }
      case 'retry': {
        const rec = this.#records.get(op.id);
        if (rec === undefined || rec.state !== 'dead') return;
        rec.state = 'pending';
        rec.attempts = 0;
        rec.windowStartMs = op.at;
        rec.nextAttemptAtMs = op.at;
        rec.finalAt = null;
        this.#push(rec);
        return;
      }
      default:
        throw new JournalStateError('unknown operation');
    }
  }

  /** Leases due deliveries per target (see Outbox.claim). */
  claim(
    nowMs: number,
    limits: ReadonlyMap<string, number>,
    max: number,
    leaseMs: number,
    token: () => string,
    untriedLimits?: ReadonlyMap<string, number>,
  ): ClaimedDelivery[] {
    const out: ClaimedDelivery[] = [];
    for (const [target, limit] of limits) {
      const tried = this.#due.get(target);
      const untried = this.#untried.get(target);
      let untriedRoom = untriedLimits?.get(target) ?? Infinity;
      let taken = 0;
      while (taken < limit && out.length < max) {
        // Oldest due first across both queues; the untried one only while it has room.
        const t = tried?.peekPriority() ?? Infinity;
        const u = untriedRoom > 0 ? (untried?.peekPriority() ?? Infinity) : Infinity;
        if (Math.min(t, u) > nowMs) break;
        const fromUntried = u < t;
        const heap = (fromUntried ? untried : tried) as MinHeap<string>;
        const { priority, value: id } = heap.pop() as { priority: number; value: string };
        const rec = this.#records.get(id);
        if (
          rec === undefined ||
          rec.state !== 'pending' ||
          priority !== dueOf(rec) ||
          isUntried(rec) !== fromUntried
        )
          continue; // a stale entry: the record moved on since it was queued
        rec.lease = token();
        rec.leaseUntil = nowMs + leaseMs;
        // The lease's expiry is its next due time: if never settled, it is claimed again
        // then, as a tried delivery (the attempt may have been made).
        this.#push(rec);
        out.push({ ...view(rec), lease: rec.lease });
        taken += 1;
        if (fromUntried) untriedRoom -= 1;
      }
    }
    return out;
  }

  /** True when `claim`'s lease is still the one held. */
  holds(claim: ClaimedDelivery): boolean {
    const rec = this.#records.get(claim.id);
    return rec !== undefined && rec.state === 'pending' && rec.lease === claim.lease;
  }

  /** The `set` operation recording `result` for `id`. */
  static settleOp(id: string, result: Settlement, nowMs: number): JournalOp {
    return {
      op: 'set',
      id,
      state: result.state,
      attempts: result.attempts,
      status: result.status,
      next: result.state === 'pending' ? result.nextAttemptAtMs : null,
      at: nowMs,
    };
  }

  /** What an operator's retry of `id` would do. */
  retryCheck(id: string): RetryOutcome {
    const rec = this.#records.get(id);
    if (rec === undefined) return 'unknown_delivery';
    return rec.state === 'dead' ? 'retried' : 'delivery_not_dead';
  }

  list(state: DeliveryState, limit: number): DeliveryRecord[] {
    const all = [...this.#records.values()].filter((r) => r.state === state);
    if (state === 'pending')
      all.sort((a, b) => (a.nextAttemptAtMs ?? 0) - (b.nextAttemptAtMs ?? 0));
    else all.sort((a, b) => (b.finalAt ?? 0) - (a.finalAt ?? 0));
    return all.slice(0, limit).map(view);
  }

  stats(): OutboxStats {
    let pending = 0;
    let oldest: number | null = null;
    for (const r of this.#records.values()) {
      if (r.state !== 'pending') continue;
      pending += 1;
      if (oldest === null || r.windowStartMs < oldest) oldest = r.windowStartMs;
    }
    return { pending, oldestPendingMs: oldest };
  }

  /** Every record as a `put` operation: the journal's compacted form. */
  snapshot(): JournalOp[] {
    return [...this.#records.values()].map(putOp);
  }

  /** `bodyJson`: what `rec.body` adds to its JSON, when known (see `#measure`). */
  #insert(rec: Rec, bodyJson?: number): void {
    this.#records.set(rec.id, rec);
    if (rec.state === 'pending') this.#push(rec);
    if (rec.state === 'delivered') {
      rec.body = '';
      this.#delivered.add(rec.id);
    } else {
      this.#bodyBytes += rec.body.length;
    }
    this.#measure(rec, bodyJson);
    if (rec.state === 'delivered') this.#trim();
  }

  /**
   * (Re)counts `rec`'s share of `snapshotBytes`: its framed `put` record, plus a margin.
   * With `bodyJson` (the bytes its body adds to any JSON record holding it, known from the
   * `add` record just encoded) the body is not encoded again: a string's escaped form is
   * the same in every record, and on the enqueue path a 64 KiB body took ~70 µs to encode.
   */
  #measure(rec: Rec, bodyJson?: number): void {
    this.#snapshotBytes -= rec.bytes;
    rec.bytes =
      JOURNAL_HEADER_BYTES +
      (bodyJson === undefined
        ? jsonBytes(putOp(rec))
        : jsonBytes(putOp({ ...rec, body: '' })) + bodyJson) +
      SNAPSHOT_MARGIN_BYTES;
    this.#snapshotBytes += rec.bytes;
  }

  #finish(rec: Rec, state: 'delivered' | 'dead', at: number): void {
    rec.state = state;
    rec.nextAttemptAtMs = null;
    rec.finalAt = at;
    if (state === 'delivered') {
      this.#bodyBytes -= rec.body.length;
      rec.body = '';
      this.#measure(rec);
      this.#delivered.add(rec.id);
      this.#trim();
    }
  }

  #push(rec: Rec): void {
    const heaps = isUntried(rec) ? this.#untried : this.#due;
    let heap = heaps.get(rec.target);
    if (heap === undefined) {
      heap = new MinHeap<string>();
      heaps.set(rec.target, heap);
    }
    heap.push(dueOf(rec), rec.id);
  }

  #trim(): void {
    for (const id of this.#delivered) {
      if (this.#delivered.size <= this.keepDelivered) break;
      this.#delivered.delete(id);
      this.#snapshotBytes -= this.#records.get(id)?.bytes ?? 0;
      this.#records.delete(id);
    }
  }
}

/**
 * Room in a record's estimate for the figures that grow as it is retried (attempts, status,
 * times: digits that an `add` record does not have yet).
 */
const SNAPSHOT_MARGIN_BYTES = 48;

/** Never tried and not leased: held back while its target is unavailable. */
function isUntried(rec: Rec): boolean {
  return rec.attempts === 0 && rec.lease === null;
}

/** When `rec` is next claimable: its lease's end while leased, else its next attempt. */
function dueOf(rec: Rec): number {
  return rec.lease !== null ? rec.leaseUntil : (rec.nextAttemptAtMs ?? 0);
}

/** Bytes of `value`'s UTF-8 JSON. */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** `r` as the `put` operation a snapshot holds. */
function putOp(r: Rec): JournalOp {
  return { op: 'put', r: { ...view(r), finalAt: r.finalAt } };
}

function view(r: Rec): DeliveryRecord {
  return {
    id: r.id,
    target: r.target,
    type: r.type,
    decision: r.decision,
    body: r.body,
    createdAtMs: r.createdAtMs,
    state: r.state,
    attempts: r.attempts,
    lastStatus: r.lastStatus,
    nextAttemptAtMs: r.nextAttemptAtMs,
    windowStartMs: r.windowStartMs,
  };
}

function checkNew(d: NewDelivery): void {
  if (
    typeof d.id !== 'string' ||
    typeof d.target !== 'string' ||
    typeof d.decision !== 'string' ||
    typeof d.body !== 'string' ||
    !Number.isSafeInteger(d.createdAtMs) ||
    !DELIVERY_TYPES.includes(d.type)
  )
    throw new JournalStateError('malformed delivery');
}
