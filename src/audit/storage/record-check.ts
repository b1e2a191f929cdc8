import { HASH_BYTES } from '../merkle.js';
import type { BlockBoard } from './block-board.js';
import { OFFSET_BYTES, readOffset } from './batch-limits.js';
import { sameHash } from './hash-bytes.js';
import { MAX_LEAF_BYTES_HARD, RECORD_HEADER_BYTES, recordChecksumOk } from './record-format.js';
import { SequentialReader } from './sequential-reader.js';
import { storedHashIndex, trailingOnes } from './tlog-layout.js';

/** File descriptors and sizes (taken once at open) of the three log files. */
export interface LogFileSizes {
  readonly entries: number;
  readonly entriesSize: number;
  readonly hashes: number;
  readonly hashesSize: number;
  readonly offsets: number;
  readonly offsetsSize: number;
}

/** One thread's streaming readers over the three files (one chunk buffer each). */
export interface RecordReaders {
  readonly entries: SequentialReader;
  readonly hashes: SequentialReader;
  readonly offsets: SequentialReader;
}

/**
 * Readers with chunks sized to the files' shares of a block (~400 B of entries, 64 B of
 * hashes and 8 B of offsets per leaf), so the worker, which jumps back block by block,
 * reads little it does not use.
 */
export function recordReaders(f: LogFileSizes): RecordReaders {
  return {
    entries: new SequentialReader(f.entries, f.entriesSize, 4 * 1024 * 1024),
    hashes: new SequentialReader(f.hashes, f.hashesSize, 1024 * 1024),
    offsets: new SequentialReader(f.offsets, f.offsetsSize, 256 * 1024),
  };
}

/** Offset of record `index` as stored in offsets.bin (untrusted), or -1 if unreadable. */
export function storedOffset(r: RecordReaders, index: number): number {
  const slot = r.offsets.locate(index * OFFSET_BYTES, OFFSET_BYTES);
  if (slot < 0) return -1;
  const offset = readOffset(r.offsets.buffer, slot);
  return Number.isNaN(offset) ? -1 : offset;
}

/**
 * Verifies records [from, to) of entries.log, record `from` starting at byte `start`:
 * each record's framing and checksum (its leaf hash recomputed), its offset in offsets.bin
 * and its leaf hash in hashes.bin — the same checks as recovery's sequential pass, for a
 * range whose offsets and hashes are all stored. Returns the byte position after the
 * range, or -1 if anything fails: the caller then re-checks sequentially, which names the
 * problem (this function never decides what a failure means).
 */
export function checkRecordBlock(
  r: RecordReaders,
  from: number,
  to: number,
  start: number,
): number {
  const { entries, hashes } = r;
  let pos = start;
  let hashPos = storedHashIndex(0, from);
  for (let i = from; i < to; i++) {
    let at = entries.locate(pos, RECORD_HEADER_BYTES);
    if (at < 0) return -1;
    const len = entries.buffer.readUInt32LE(at);
    if (len > MAX_LEAF_BYTES_HARD) return -1;
    at = entries.locate(pos, RECORD_HEADER_BYTES + len);
    if (at < 0 || !recordChecksumOk(entries.buffer, at, len)) return -1;
    if (storedOffset(r, i) !== pos) return -1;
    // The checksum equals the recomputed leaf hash (checked above): compare stored bytes.
    const slot = hashes.locate(hashPos * HASH_BYTES, HASH_BYTES);
    if (slot < 0 || !sameHash(entries.buffer, at + 4, hashes.buffer, slot)) return -1;
    hashPos += 1 + trailingOnes(i);
    pos += RECORD_HEADER_BYTES + len;
  }
  return pos;
}

/**
 * Main thread: checks blocks from the front, each starting where the last ended, while it
 * can claim them. After a failure it claims the rest, so the worker stops taking blocks
 * that could no longer chain.
 */
export function checkBlocksFromFront(r: RecordReaders, board: BlockBoard): void {
  let pos = 0;
  for (let j = 0; j < board.blocks && board.claim(j, 'main'); j++) {
    const end = checkRecordBlock(r, board.from(j), board.to(j), pos);
    board.finish(j, pos, end);
    if (end < 0) {
      for (let k = j + 1; k < board.blocks; k++) board.claim(k, 'main');
      return;
    }
    pos = end;
  }
}

/**
 * Worker: checks blocks from the back while it can claim them, each starting at the
 * offset offsets.bin gives (untrusted: it counts only if it equals the previous block's
 * verified end, see verifiedPrefix).
 */
export function checkBlocksFromBack(r: RecordReaders, board: BlockBoard): void {
  for (let j = board.blocks - 1; j >= 0 && board.claim(j, 'worker'); j--) {
    const start = storedOffset(r, board.from(j));
    const end = start < 0 ? -1 : checkRecordBlock(r, board.from(j), board.to(j), start);
    board.finish(j, start, end);
    if (end < 0) return;
  }
}

/**
 * The longest run of verified blocks from record 0 whose starts chain (each the previous
 * block's end, the first 0): records [0, count) are verified and end at byte `pos`.
 * Call once no thread is still checking blocks.
 */
export function verifiedPrefix(board: BlockBoard): { count: number; pos: number } {
  let count = 0;
  let pos = 0;
  for (let j = 0; j < board.blocks; j++) {
    const result = board.result(j);
    if (result === null || result[1] < 0 || result[0] !== pos) break;
    pos = result[1];
    count = board.to(j);
  }
  return { count, pos };
}
