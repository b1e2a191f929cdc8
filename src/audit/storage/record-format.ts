/**
 * Framing of one leaf in the entries file:
 * `u32 LE length ‖ 32-byte leaf hash ‖ 0x00 ‖ leaf bytes`.
 *
 * The checksum is the RFC 6962 leaf hash itself, SHA-256(0x00 ‖ leaf): verifying a record
 * and recomputing the tree's level 0 are the same work, and unlike a CRC it also ties the
 * record to the hashes file. The 0x00 byte stored before the leaf is the RFC 6962 leaf
 * prefix, so the hash is taken over a view of the file buffer without copying the leaf
 * (open() hashes a million of them; copies were most of its garbage-collection time).
 */
import { sha256, sha256Hex } from '../../crypto/index.js';
import { HASH_BYTES } from '../merkle.js';

/** Bytes before the leaf: length, leaf hash, the 0x00 prefix. */
export const RECORD_HEADER_BYTES = 4 + HASH_BYTES + 1;

/** Hard ceiling on a leaf, independent of options, so a corrupt length can never make open() read gigabytes. */
export const MAX_LEAF_BYTES_HARD = 16 * 1024 * 1024;

/** Total framed size of a leaf of `leafBytes` bytes. */
export function recordSize(leafBytes: number): number {
  return RECORD_HEADER_BYTES + leafBytes;
}

/**
 * Writes the record for `leaf` (bytes, or a well-formed string whose UTF-8 of `bytes` bytes
 * is the leaf, encoded straight into `out`) at `at`; returns its leaf hash as lowercase hex
 * (the receipt's form; a hex digest is ~3× cheaper than a Buffer digest in node:crypto, and
 * the bytes go straight from the hex into the record, no hash object in between).
 */
export function writeRecord(
  out: Buffer,
  at: number,
  leaf: Uint8Array | string,
  bytes: number,
): string {
  out.writeUInt32LE(bytes, at);
  out[at + RECORD_HEADER_BYTES - 1] = 0;
  if (typeof leaf !== 'string') out.set(leaf, at + RECORD_HEADER_BYTES);
  else if (out.write(leaf, at + RECORD_HEADER_BYTES, bytes, 'utf8') !== bytes)
    throw new RangeError('writeRecord: leaf text is not the announced number of bytes');
  // SHA-256(0x00 ‖ leaf) over the record's own prefix byte and leaf (a plain view, no copy).
  const hashed = at + RECORD_HEADER_BYTES - 1;
  const hex = sha256Hex(new Uint8Array(out.buffer, out.byteOffset + hashed, bytes + 1));
  out.write(hex, at + 4, HASH_BYTES, 'hex');
  return hex;
}

/** SHA-256(0x00 ‖ leaf) computed over the record's own prefix byte and leaf (no copy). */
export function leafHashOfRecord(record: Uint8Array): Uint8Array {
  return sha256(record.subarray(RECORD_HEADER_BYTES - 1));
}

/** The leaf hash stored in a record's header. */
export function storedLeafHash(record: Uint8Array): Uint8Array {
  return record.subarray(4, 4 + HASH_BYTES);
}

/** Leaf hash of the record of `len` leaf bytes at `at` in `buf` (no copy, no view object kept). */
export function leafHashAt(buf: Buffer, at: number, len: number): Uint8Array {
  return sha256(buf.subarray(at + RECORD_HEADER_BYTES - 1, at + RECORD_HEADER_BYTES + len));
}

/**
 * True when the record of `len` leaf bytes at `at` in `buf` hashes to the checksum in its
 * header. open() checks a million records, so this is its hot path: the digest is hex (a
 * one-shot hex digest costs far less than a Buffer digest, which allocates an ArrayBuffer
 * per hash) and the input is a plain Uint8Array view (cheaper to make than Buffer#subarray).
 */
export function recordChecksumOk(buf: Buffer, at: number, len: number): boolean {
  const hashed = at + RECORD_HEADER_BYTES - 1; // the 0x00 prefix, then the leaf
  const digest = sha256Hex(new Uint8Array(buf.buffer, buf.byteOffset + hashed, len + 1));
  return digest === buf.toString('hex', at + 4, at + 4 + HASH_BYTES);
}
