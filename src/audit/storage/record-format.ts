/**
 * Framing of one leaf in the entries file: `u32 LE length ‖ 32-byte leaf hash ‖ leaf bytes`.
 *
 * The checksum is the RFC 6962 leaf hash itself, SHA-256(0x00 ‖ leaf): verifying a record
 * and recomputing the tree's level 0 are the same work, and unlike a CRC it also ties the
 * record to the hashes file.
 */
import { HASH_BYTES } from '../merkle.js';

export const RECORD_HEADER_BYTES = 4 + HASH_BYTES;

/** Hard ceiling on a leaf, independent of options, so a corrupt length can never make open() read gigabytes. */
export const MAX_LEAF_BYTES_HARD = 16 * 1024 * 1024;

/** Writes the record for `leaf` into `out` at `at`; returns the bytes written. */
export function writeRecord(
  out: Buffer,
  at: number,
  leaf: Uint8Array,
  leafHash: Uint8Array,
): number {
  out.writeUInt32LE(leaf.length, at);
  out.set(leafHash, at + 4);
  out.set(leaf, at + RECORD_HEADER_BYTES);
  return RECORD_HEADER_BYTES + leaf.length;
}

/** Total framed size of a leaf of `leafBytes` bytes. */
export function recordSize(leafBytes: number): number {
  return RECORD_HEADER_BYTES + leafBytes;
}
