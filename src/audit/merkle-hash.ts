/** RFC 6962 hashing primitives (SHA-256 with 0x00 / 0x01 domain separation). */
import { sha256 } from '../crypto/index.js';

export const HASH_BYTES = 32;

/** Root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** SHA-256(0x00 ‖ leaf): the RFC 6962 leaf hash. */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + leaf.length);
  buf.set(leaf, 1);
  return sha256(buf);
}

/** SHA-256(0x01 ‖ left ‖ right): the RFC 6962 interior node hash. Throws TypeError on bad lengths. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    throw new TypeError('nodeHash: left and right must be 32-byte hashes');
  }
  const buf = new Uint8Array(1 + 2 * HASH_BYTES);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + HASH_BYTES);
  return sha256(buf);
}

/** True for a non-negative safe integer (every index/size is checked with this first). */
export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
