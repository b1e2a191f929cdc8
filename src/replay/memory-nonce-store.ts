import { randomBytes, sha256Hex } from '../crypto/index.js';
import { MinHeap } from './min-heap.js';

/** Outcome of claiming a nonce. */
export type NonceClaim = 'claimed' | 'replayed' | 'too_old';

/** A key is a SHA-256 digest: eight 32-bit words. */
const KEY_WORDS = 8;
const KEY_BYTES = 32;
/** Entries the store makes room for at first; it doubles up to its capacity. */
const FIRST_ROOM = 1024;

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
 *
 * No object per nonce: the digests' bytes live in typed arrays with an open-addressing
 * hash table (linear probing, backward-shift deletion), and the min-heap by timestamp holds
 * entry numbers. A Set of hex strings promoted objects per request into the old generation
 * and dropped as many when full, and the mark-compacts that garbage caused stalled the
 * event loop for ~20 ms every few seconds at a steady rate (bench/README.md, issue 19). The
 * table's slot for a digest is a salted mix of all its words with a per-process random
 * salt, so a client grinding nonces offline cannot aim them at one slot (as V8's seeded
 * string hash protected the Set).
 */
export class MemoryNonceStore {
  private highWaterMark = -1;
  /** Entry numbers handed out so far; freed ones are reused first. */
  private used = 0;
  private room = 0;
  private keys = new Uint32Array(0);
  /** Each entry's mixed hash, so moving it in the table needs no re-hashing. */
  private hashes = new Int32Array(0);
  /** Entry numbers by timestamp. */
  private readonly byTimestamp = new MinHeap<number>();
  private free = new Int32Array(0);
  private freeCount = 0;
  /** Entry number + 1 per slot; 0 is an empty slot. Length a power of two ≥ 2 × room. */
  private slots = new Int32Array(0);
  private readonly salt = new Uint32Array(Uint8Array.from(randomBytes(KEY_BYTES)).buffer);
  /** The digest being looked up, as bytes and as words (no allocation per request). */
  private readonly probe = Buffer.alloc(KEY_BYTES);
  private readonly probeWords = new Uint32Array(
    this.probe.buffer,
    this.probe.byteOffset,
    KEY_WORDS,
  );

  constructor(
    private readonly capacity: number,
    private readonly toleranceSeconds: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.grow(Math.min(capacity, FIRST_ROOM));
  }

  /** Number of remembered nonces. */
  get size(): number {
    return this.byTimestamp.size;
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
    if (key.length !== 2 * KEY_BYTES || this.probe.write(key, 'hex') !== KEY_BYTES)
      throw new RangeError('a nonce key is the hex SHA-256 of client and nonce');
    const hash = this.mixProbe();
    if (this.find(hash) !== -1) return 'replayed';
    while (this.byTimestamp.size >= this.capacity) this.evictOldest();
    const entry = this.takeEntry();
    this.keys.set(this.probeWords, entry * KEY_WORDS);
    this.hashes[entry] = hash;
    this.place(entry);
    this.byTimestamp.push(timestamp, entry);
    return 'claimed';
  }

  private expire(nowMs: number): void {
    const oldestAcceptable = nowMs / 1000 - this.toleranceSeconds;
    for (
      let t = this.byTimestamp.peekPriority();
      t !== undefined && t < oldestAcceptable;
      t = this.byTimestamp.peekPriority()
    ) {
      this.forget(this.byTimestamp.pop()!.value);
    }
  }

  private evictOldest(): void {
    const dropped = this.byTimestamp.pop();
    if (dropped === undefined) return;
    this.highWaterMark = Math.max(this.highWaterMark, dropped.priority);
    this.forget(dropped.value);
  }

  // --- entries ------------------------------------------------------------------------

  private takeEntry(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    if (this.used === this.room) this.grow(Math.min(this.capacity, 2 * this.room));
    return this.used++;
  }

  private forget(entry: number): void {
    this.unplace(entry);
    this.free[this.freeCount++] = entry;
  }

  /** Makes room for `room` entries: longer arrays and a table rebuilt for them. */
  private grow(room: number): void {
    this.keys = extend(this.keys, new Uint32Array(room * KEY_WORDS));
    this.hashes = extend(this.hashes, new Int32Array(room));
    this.free = extend(this.free, new Int32Array(room));
    this.room = room;
    const old = this.slots;
    let size = 1;
    while (size < 2 * room) size *= 2;
    this.slots = new Int32Array(size);
    for (const held of old) if (held !== 0) this.place(held - 1);
  }

  // --- the hash table -----------------------------------------------------------------

  /** A salted mix of the probe's eight words (it need only spread, not resist inversion). */
  private mixProbe(): number {
    let h = 0x6a09e667;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ this.probeWords[i]! ^ this.salt[i]!, 0x9e3779b1);
      h ^= h >>> 16;
    }
    return h;
  }

  /** The entry holding the probe digest (whose mix is `hash`), or -1. */
  private find(hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot]!;
      if (held === 0) return -1;
      if (this.hashes[held - 1] === hash && this.holdsProbe(held - 1)) return held - 1;
    }
  }

  private holdsProbe(entry: number): boolean {
    const at = entry * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) if (this.keys[at + i] !== this.probeWords[i]) return false;
    return true;
  }

  private place(entry: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[entry]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry + 1;
  }

  /** Removes `entry` from the table, moving later entries of its run back into the gap. */
  private unplace(entry: number): void {
    const mask = this.slots.length - 1;
    let gap = this.hashes[entry]! & mask;
    while (this.slots[gap] !== entry + 1) gap = (gap + 1) & mask;
    this.slots[gap] = 0;
    for (let slot = (gap + 1) & mask; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const held = this.slots[slot]!;
      const home = this.hashes[held - 1]! & mask;
      // The entry may fill the gap unless its home lies cyclically after the gap.
      if (((slot - home) & mask) >= ((slot - gap) & mask)) {
        this.slots[gap] = held;
        this.slots[slot] = 0;
        gap = slot;
      }
    }
  }
}

function extend<A extends Uint32Array | Int32Array>(from: A, to: A): A {
  to.set(from as ArrayLike<number>);
  return to;
}

/** Store key of a nonce: hex SHA-256 of `client\nnonce` (the same digest the audit log records). */
export function nonceKey(clientId: string, nonce: string): string {
  return sha256Hex(`${clientId}\n${nonce}`);
}
