/** RFC 6962 hashing primitives (SHA-256 with 0x00 / 0x01 domain separation). */
import { sha256, sha256Hex } from '../crypto/index.js';

export const HASH_BYTES = 32;

/** Root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** SHA-256(0x00 ‖ leaf): the RFC 6962 leaf hash. */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + leaf.length);
  buf.set(leaf, 1);
  return sha256(buf);
}

/**
 * The input of one node hash, reused: `0x01 ‖ left ‖ right` is 65 bytes, over V8's limit for
 * on-heap typed arrays, so a fresh one per node cost an off-heap allocation. Safe to share:
 * it is filled and hashed in one synchronous call.
 */
const NODE_INPUT = new Uint8Array(1 + 2 * HASH_BYTES);
NODE_INPUT[0] = 1;

function fillNodeInput(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    throw new TypeError('nodeHash: left and right must be 32-byte hashes');
  }
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_BYTES);
  return NODE_INPUT;
}

/** SHA-256(0x01 ‖ left ‖ right): the RFC 6962 interior node hash. Throws TypeError on bad lengths. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(fillNodeInput(left, right));
}

/**
 * {@link nodeHash} as lowercase hex. A hex digest is ~3× cheaper than a Buffer digest in
 * node:crypto (no ArrayBuffer per hash), and receipts need the hex anyway; the bytes are
 * `hashFromHex` of it. Throws TypeError on bad lengths.
 */
export function nodeHashHex(left: Uint8Array, right: Uint8Array): string {
  return sha256Hex(fillNodeInput(left, right));
}

/** The 32 bytes of a lowercase hex hash made by this module (no validation: trusted input). */
export function hashFromHex(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}

/** True for a non-negative safe integer (every index/size is checked with this first). */
export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
