/**
 * The Go sumdb/tlog dense layout of stored tree hashes, as pure arithmetic.
 *
 * The hashes file holds, in append order, every leaf hash and every perfect-subtree hash
 * the moment it becomes complete: appending leaf n writes its leaf hash, then one node
 * hash per trailing 1 bit of n (each completes a subtree). So the file is O(2n) hashes,
 * an append writes 1 + trailingOnes(n) of them, and the hash at (level, index) sits at a
 * position computable in O(level + log n) — proofs read O(log n) hashes.
 * Numbers stay below 2^53 for any realistic log, so plain arithmetic (no 32-bit bit ops).
 */

/** Position (in hashes, not bytes) of the stored hash for (level, n). */
export function storedHashIndex(level: number, n: number): number {
  // Level L's n-th hash is written right after level L-1's (2n+1)-th hash.
  let m = n;
  for (let l = level; l > 0; l--) m = 2 * m + 1;
  // Level 0's m-th hash is written at m + m/2 + m/4 + ... (integer halving).
  let i = 0;
  for (; m > 0; m = Math.floor(m / 2)) i += m;
  return i + level;
}

/** Number of trailing 1 bits of n (how many subtrees leaf n completes). */
export function trailingOnes(n: number): number {
  let c = 0;
  for (let m = n; m % 2 === 1; m = Math.floor(m / 2)) c++;
  return c;
}

/** Number of stored hashes for a tree of `size` leaves. */
export function storedHashCount(size: number): number {
  if (size === 0) return 0;
  return storedHashIndex(0, size - 1) + 1 + trailingOnes(size - 1);
}
