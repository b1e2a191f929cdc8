import { MAX_LEAF_BYTES_HARD, RECORD_HEADER_BYTES } from './record-format.js';
import { RUNWAY_BYTES } from './runway.js';

/** A batch stops taking leaves once it holds this many bytes or leaves. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH_LEAVES = 4096;

/**
 * The most bytes a crash can leave after the last complete record of the entries file: one
 * interrupted batch and the runway after it. open() refuses to cut more than this, because
 * a longer bad stretch cannot come from a crash.
 */
export const MAX_TORN_TAIL_BYTES =
  MAX_BATCH_BYTES + RECORD_HEADER_BYTES + MAX_LEAF_BYTES_HARD + RUNWAY_BYTES;

/** Offsets file: one fixed-width little-endian 48-bit byte offset (in 8 bytes) per leaf. */
export const OFFSET_BYTES = 8;

/** Decodes an offsets-file slot; NaN when the top bytes are not zero (never written by us). */
export function readOffset(slot: Buffer, at = 0): number {
  if (slot.readUInt16LE(at + 6) !== 0) return Number.NaN;
  return slot.readUIntLE(at, 6);
}

/** Encodes one offsets-file slot. */
export function writeOffset(offset: number): Buffer {
  const slot = Buffer.alloc(OFFSET_BYTES);
  writeOffsetAt(slot, 0, offset);
  return slot;
}

/**
 * Encodes one offsets-file slot at `at` in `out` (all 8 bytes: `out` may be uninitialised),
 * without a Buffer per slot (the group commit writes one per append).
 */
export function writeOffsetAt(out: Buffer, at: number, offset: number): void {
  out.writeUIntLE(offset, at, 6);
  out.writeUInt16LE(0, at + 6);
}
