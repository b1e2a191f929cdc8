import { RUNWAY_BYTES } from '../audit/storage/runway.js';
import { sha256 } from '../crypto/index.js';

/**
 * Framing of one record of the outbox journal: `u32 LE length ‖ SHA-256(payload) ‖ payload`,
 * payload = the UTF-8 JSON of one journal operation. The checksum tells a torn or damaged
 * record from a whole one; a record is whole only if all of it reached the file.
 */
export const JOURNAL_HEADER_BYTES = 4 + 32;

/** Hard ceiling on one record, so a damaged length can never make recovery read gigabytes. */
export const MAX_RECORD_BYTES = 160 * 1024 * 1024;

/** A batch stops taking operations once it holds this many bytes (one op always fits). */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * The most bytes a crash can leave after the last whole record of the journal: one
 * interrupted batch and the runway of zeros after it (audit/storage/runway.ts). Recovery
 * refuses to cut more, because a longer bad stretch cannot come from a crash.
 */
export const MAX_TORN_TAIL_BYTES =
  MAX_BATCH_BYTES + JOURNAL_HEADER_BYTES + MAX_RECORD_BYTES + RUNWAY_BYTES;

/** Frames one operation. */
export function encodeRecord(op: object): Buffer {
  const payload = Buffer.from(JSON.stringify(op), 'utf8');
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError('outbox record too large');
  const out = Buffer.allocUnsafe(JOURNAL_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.set(sha256(payload), 4);
  payload.copy(out, JOURNAL_HEADER_BYTES);
  return out;
}

/** Result of scanning a journal buffer. */
export interface ScanResult {
  /** Parsed operations of the whole records, in order. */
  readonly ops: unknown[];
  /** Byte length of the whole records (where a torn tail, if any, begins). */
  readonly end: number;
  /** Why scanning stopped before the end of the buffer, if it did. */
  readonly stopped: 'incomplete' | 'checksum' | null;
}

/**
 * Reads whole records from the start of `buf` until its end or the first record that is
 * incomplete or fails its checksum. A record whose checksum holds but whose payload is
 * not JSON was written so by this program's bug or someone else's hand: that throws.
 */
export function scanJournal(buf: Buffer): ScanResult {
  const ops: unknown[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < JOURNAL_HEADER_BYTES) return { ops, end: pos, stopped: 'incomplete' };
    const len = buf.readUInt32LE(pos);
    if (len > MAX_RECORD_BYTES || pos + JOURNAL_HEADER_BYTES + len > buf.length)
      return { ops, end: pos, stopped: 'incomplete' };
    const payload = buf.subarray(pos + JOURNAL_HEADER_BYTES, pos + JOURNAL_HEADER_BYTES + len);
    if (!Buffer.from(sha256(payload)).equals(buf.subarray(pos + 4, pos + JOURNAL_HEADER_BYTES)))
      return { ops, end: pos, stopped: 'checksum' };
    try {
      ops.push(JSON.parse(payload.toString('utf8')));
    } catch {
      throw new Error(`record at byte ${pos} is not JSON`);
    }
    pos += JOURNAL_HEADER_BYTES + len;
  }
  return { ops, end: pos, stopped: null };
}
