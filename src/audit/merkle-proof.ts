/**
 * RFC 9162 proof generation over stored perfect-subtree hashes, pure.
 *
 * Coordinates: the node at (level L, index i) is the root of the perfect subtree over
 * leaves [i·2^L, (i+1)·2^L); level 0 holds leaf hashes. Every hash a proof or root needs is
 * a fold of such perfect subtrees, so storage only has to answer `hashAt(level, index)`
 * (the Go sumdb/tlog layout stores exactly these). `*Nodes` functions list the coordinates
 * a computation will read, so an async store can prefetch them and then call the sync
 * generator. Generation throws RangeError on impossible arguments.
 */
import { EMPTY_ROOT, isTreeSize, nodeHash } from './merkle-hash.js';

/** Reads the stored hash of the perfect subtree at (level, index). */
export type HashAt = (level: number, index: number) => Uint8Array;

/** A perfect subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L). */
export interface NodeCoord {
  readonly level: number;
  readonly index: number;
}

/** Largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Perfect, aligned subtrees covering [lo, hi), left to right. */
export function rangeNodes(lo: number, hi: number): NodeCoord[] {
  const out: NodeCoord[] = [];
  let start = lo;
  while (start < hi) {
    let width = 1;
    let level = 0;
    while (start % (width * 2) === 0 && start + width * 2 <= hi) {
      width *= 2;
      level += 1;
    }
    out.push({ level, index: start / width });
    start += width;
  }
  return out;
}

/** MTH(D[lo:hi]) from stored perfect-subtree hashes (RFC 6962 splits at the largest power of two). */
export function rangeHash(lo: number, hi: number, hashAt: HashAt): Uint8Array {
  const nodes = rangeNodes(lo, hi);
  const last = nodes[nodes.length - 1];
  if (last === undefined) return EMPTY_ROOT;
  let h = hashAt(last.level, last.index);
  for (let j = nodes.length - 2; j >= 0; j--) {
    const n = nodes[j] as NodeCoord;
    h = nodeHash(hashAt(n.level, n.index), h);
  }
  return h;
}

/** A half-open range of leaves `[lo, hi)`. */
export type Range = readonly [number, number];

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, deepest first: the proof is the MTH of
 * each. Every range is a perfect subtree except those ending at `size`.
 */
export function inclusionRanges(index: number, size: number): Range[] {
  if (!isTreeSize(size) || !isTreeSize(index) || index >= size) {
    throw new RangeError(
      `inclusion: index ${String(index)} is outside a tree of size ${String(size)}`,
    );
  }
  const out: Range[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      out.push([lo + k, hi]);
      hi = lo + k;
    } else {
      out.push([lo, lo + k]);
      lo += k;
    }
  }
  return out.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges, deepest first. */
function consistencyRanges(size1: number, size2: number): Range[] {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 < 1 || size1 > size2) {
    throw new RangeError(
      `consistency: need 1 <= from <= to, got ${String(size1)}..${String(size2)}`,
    );
  }
  const out: Range[] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let complete = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push([lo + k, hi]);
      hi = lo + k;
    } else {
      out.push([lo, lo + k]);
      m -= k;
      lo += k;
      complete = false;
    }
  }
  if (!complete) out.push([lo, hi]);
  return out.reverse();
}

function nodesOf(ranges: readonly Range[]): NodeCoord[] {
  return ranges.flatMap(([lo, hi]) => rangeNodes(lo, hi));
}

/** Stored hashes that `inclusionProof(index, size)` reads (so storage can prefetch them). */
export function inclusionProofNodes(index: number, size: number): NodeCoord[] {
  return nodesOf(inclusionRanges(index, size));
}

/** Stored hashes that `consistencyProof(size1, size2)` reads. */
export function consistencyProofNodes(size1: number, size2: number): NodeCoord[] {
  return nodesOf(consistencyRanges(size1, size2));
}

/** Stored hashes that `rootOf(size)` reads. Throws RangeError on a bad size. */
export function rootNodes(size: number): NodeCoord[] {
  if (!isTreeSize(size)) throw new RangeError(`root: bad tree size ${String(size)}`);
  return rangeNodes(0, size);
}

/** RFC 9162 inclusion proof (audit path) for leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, size: number, hashAt: HashAt): Uint8Array[] {
  return inclusionRanges(index, size).map(([lo, hi]) => rangeHash(lo, hi, hashAt));
}

/** RFC 9162 consistency proof from `size1` (≥ 1) to `size2`; empty when they are equal. */
export function consistencyProof(size1: number, size2: number, hashAt: HashAt): Uint8Array[] {
  return consistencyRanges(size1, size2).map(([lo, hi]) => rangeHash(lo, hi, hashAt));
}

/** MTH of the first `size` leaves (size 0 → EMPTY_ROOT). */
export function rootOf(size: number, hashAt: HashAt): Uint8Array {
  rootNodes(size);
  return rangeHash(0, size, hashAt);
}

/** MTH over a list of leaf hashes (small trees and tests; O(n) hashes, O(log n) stack). */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT;
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return hashes[lo] as Uint8Array;
    const k = splitPoint(hi - lo);
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi));
  };
  return mth(0, hashes.length);
}
