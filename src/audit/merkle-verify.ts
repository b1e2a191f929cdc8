/**
 * RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) verification, step by step.
 *
 * Every argument may come from an attacker (an HTTP client, a proof file handed to the
 * auditor CLI), so sizes and indices are range-checked and hash lengths checked before any
 * arithmetic, and every failure is `false`, never an exception. Sizes go up to 2^53, so
 * shifts use division, not 32-bit bitwise operators.
 */
import { constantTimeEqual } from '../crypto/index.js';
import { HASH_BYTES, isTreeSize, nodeHash } from './merkle-hash.js';

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_BYTES;

const lsb = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** True iff `proof` shows the leaf with hash `leafHash` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !Array.isArray(proof) || !proof.every(isHash)) {
    return false;
  }
  // A proof never has more than 64 elements; a longer one is hostile padding.
  if (proof.length > 64) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && constantTimeEqual(r, root);
}

/**
 * True iff `proof` shows the tree of `size1` leaves with `root1` is a prefix of the tree of
 * `size2` leaves with `root2`. Requires 1 ≤ size1 ≤ size2; equal sizes need an empty proof
 * and equal roots (RFC 9162 leaves that case to the caller; this is the common convention).
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 < 1 || size1 > size2) return false;
  if (!isHash(root1) || !isHash(root2) || !Array.isArray(proof) || !proof.every(isHash)) {
    return false;
  }
  if (proof.length > 128) return false;
  if (size1 === size2) return proof.length === 0 && constantTimeEqual(root1, root2);
  // Step 1: an empty path cannot prove anything between different sizes.
  if (proof.length === 0) return false;
  // Step 2: when size1 is a power of two, root1 itself is the first node of the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // Step 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // Step 4.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // Step 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  return constantTimeEqual(fr, root1) && constantTimeEqual(sr, root2) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
