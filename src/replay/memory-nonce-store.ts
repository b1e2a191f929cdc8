import { sha256Hex } from '../crypto/index.js';
import { MinHeap } from './min-heap.js';

/** Outcome of claiming a nonce. */
export type NonceClaim = 'claimed' | 'replayed' | 'too_old';

/**
 * Bounded in-memory nonce memory (docs/protocol.md §2 check 6) for the single-process default.
 *
 * Nonces are kept only as SHA-256 of `client\nnonce`, ordered by their request timestamp.
 * An entry is dropped when its timestamp leaves the acceptance window (a replay would then
 * fail the timestamp check anyway). When the store is full, the entry with the OLDEST
 * timestamp is dropped and the high-water mark is raised to that timestamp; from then on a
 * request whose timestamp is not newer than the mark is refused, so a forgotten nonce can
 * never be replayed. Dropping the oldest (not the most recently inserted) keeps the mark as
 * low as possible, so a flood costs legitimate senders the least.
 */
export class MemoryNonceStore {
  private readonly seen = new Set<string>();
  private readonly byTimestamp = new MinHeap<string>();
  private highWaterMark = -1;

  constructor(
    private readonly capacity: number,
    private readonly toleranceSeconds: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  /** Number of remembered nonces. */
  get size(): number {
    return this.seen.size;
  }

  /** Timestamp (unix s) of the newest entry dropped for capacity; -1 if none. */
  get highWater(): number {
    return this.highWaterMark;
  }

  /**
   * Claims `nonce` for `clientId` at request time `timestamp` (unix s). `key` is
   * `nonceKey(clientId, nonce)` when the caller already computed it.
   */
  claim(
    clientId: string,
    nonce: string,
    timestamp: number,
    nowMs: number,
    key?: string,
  ): NonceClaim {
    this.expire(nowMs);
    if (timestamp <= this.highWaterMark) return 'too_old';
    return this.insert(key ?? nonceKey(clientId, nonce), timestamp);
  }

  /**
   * Records a nonce known to be used (start-up recovery from the audit log), by the hex
   * SHA-256 of `client\nnonce`. Entries already outside the window are ignored; when the
   * store is full the usual eviction raises the high-water mark, so nothing is forgotten
   * without the refusal that makes forgetting safe.
   */
  remember(nonceSha256: string, timestamp: number, nowMs: number): void {
    this.expire(nowMs);
    if (timestamp < nowMs / 1000 - this.toleranceSeconds || timestamp <= this.highWaterMark) return;
    this.insert(nonceSha256, timestamp);
  }

  /**
   * Refuses every request whose timestamp is not newer than `timestamp` (as if entries that
   * new had been evicted): used when recovery could not read back every recent nonce.
   */
  raiseHighWater(timestamp: number): void {
    this.highWaterMark = Math.max(this.highWaterMark, timestamp);
  }

  private insert(key: string, timestamp: number): NonceClaim {
    if (this.seen.has(key)) return 'replayed';
    while (this.seen.size >= this.capacity) this.evictOldest();
    this.seen.add(key);
    this.byTimestamp.push(timestamp, key);
    return 'claimed';
  }

  private expire(nowMs: number): void {
    const oldestAcceptable = nowMs / 1000 - this.toleranceSeconds;
    for (
      let t = this.byTimestamp.peekPriority();
      t !== undefined && t < oldestAcceptable;
      t = this.byTimestamp.peekPriority()
    ) {
      this.seen.delete(this.byTimestamp.pop()!.value);
    }
  }

  private evictOldest(): void {
    const dropped = this.byTimestamp.pop();
    if (dropped === undefined) return;
    this.seen.delete(dropped.value);
    this.highWaterMark = Math.max(this.highWaterMark, dropped.priority);
  }
}

/** Store key of a nonce: hex SHA-256 of `client\nnonce` (the same digest the audit log records). */
export function nonceKey(clientId: string, nonce: string): string {
  return sha256Hex(`${clientId}\n${nonce}`);
}
