/**
 * Integrating one batch of leaves into an RFC 6962 tree, pure (no I/O). Both log drivers
 * (files and PostgreSQL) sequence a batch the same way: start from the compact range
 * (frontier) of the tree before the batch, append the batch's leaf hashes, and get
 *
 * - the hashes to store, in the Go sumdb/tlog dense order (tlog-layout.ts): per leaf its
 *   leaf hash and one node hash per perfect subtree it completes;
 * - the new frontier and root;
 * - an inclusion proof for every leaf of the batch in the new tree (the receipts of §9),
 *   computed from memory: every hash such a proof needs is either a node the batch created
 *   or a perfect subtree of the old frontier, so no stored hash is read.
 */
import type { BatchHex } from './batch-hex.js';
import {
  EMPTY_ROOT,
  HASH_BYTES,
  type NodeCoord,
  hashFromHex,
  inclusionRanges,
  nodeHash,
  nodeHashHex,
  rangeHash,
  rangeNodes,
} from './merkle.js';
import { storedHashCount, trailingOnes } from './storage/tlog-layout.js';

/** The outcome of appending `leafHashes` to a tree of `first` leaves. */
export interface IntegratedBatch {
  /** Size before the batch (index of its first leaf). */
  readonly first: number;
  /** Size after the batch. */
  readonly size: number;
  readonly root: Uint8Array;
  /** Compact range of the new tree, left to right. */
  readonly frontier: Uint8Array[];
  /** Hashes to store, in dense order from position `firstHashPos`. */
  readonly hashes: Uint8Array[];
  readonly firstHashPos: number;
  /** RFC 9162 inclusion proof of leaf `index` (first ≤ index < size) in the new tree. */
  proof(index: number): Uint8Array[];
}

/** Folds a compact range into its root (empty → SHA-256 of the empty string). */
export function frontierRoot(frontier: readonly Uint8Array[]): Uint8Array {
  let h: Uint8Array | undefined;
  for (let i = frontier.length - 1; i >= 0; i--) {
    const s = frontier[i] as Uint8Array;
    h = h === undefined ? s : nodeHash(s, h);
  }
  return h ?? EMPTY_ROOT;
}

/** Concatenates a compact range into one buffer (how the PostgreSQL head row stores it). */
export function packFrontier(frontier: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frontier.length * HASH_BYTES);
  frontier.forEach((h, i) => out.set(h, i * HASH_BYTES));
  return out;
}

/** Splits a packed compact range; throws RangeError when it cannot be the range of `size`. */
export function unpackFrontier(packed: Uint8Array, size: number): Uint8Array[] {
  const expected = rangeNodes(0, size).length;
  if (packed.length !== expected * HASH_BYTES)
    throw new RangeError(
      `frontier holds ${packed.length} bytes, a tree of ${size} needs ${expected * HASH_BYTES}`,
    );
  const out: Uint8Array[] = [];
  for (let i = 0; i < expected; i++)
    out.push(Uint8Array.from(packed.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
  return out;
}

/**
 * Appends `leafHashes` to the tree of `first` leaves whose compact range is `frontier`.
 * With `hex`, every node hash the batch makes is recorded there with its hex (they are
 * made as hex digests either way). Throws RangeError when the frontier does not fit `first`.
 */
export function integrateBatch(
  first: number,
  frontier: readonly Uint8Array[],
  leafHashes: readonly Uint8Array[],
  hex?: BatchHex,
): IntegratedBatch {
  const old = rangeNodes(0, first);
  if (old.length !== frontier.length)
    throw new RangeError(`frontier of ${frontier.length} hashes does not fit a tree of ${first}`);
  // Known perfect subtrees, keyed by level then index.
  const known: Map<number, Uint8Array>[] = [];
  const put = (level: number, index: number, h: Uint8Array): void => {
    (known[level] ??= new Map()).set(index, h);
  };
  old.forEach((n, i) => put(n.level, n.index, frontier[i] as Uint8Array));
  const node = (left: Uint8Array, right: Uint8Array): Uint8Array => {
    const text = nodeHashHex(left, right);
    const h = hashFromHex(text);
    hex?.put(h, text);
    return h;
  };
  const stack = [...frontier];
  const hashes: Uint8Array[] = [];
  leafHashes.forEach((leaf, i) => {
    const n = first + i;
    let h = leaf;
    put(0, n, h);
    hashes.push(h);
    let level = 0;
    let index = n;
    for (let t = trailingOnes(n); t > 0; t--) {
      h = node(stack.pop() as Uint8Array, h);
      level += 1;
      index = Math.floor(index / 2);
      put(level, index, h);
      hashes.push(h);
    }
    stack.push(h);
  });
  const size = first + leafHashes.length;
  // The root folds the new compact range from the right (as frontierRoot does); each step is
  // the MTH of a suffix [start, size). Those suffixes are exactly the ranges of a receipt's
  // proof that are not perfect subtrees (RFC 9162 PATH only ever splits the right edge at
  // compact-range boundaries), so keeping them spares every receipt its own folds.
  const suffix = new Map<number, Uint8Array>();
  const coords = rangeNodes(0, size);
  let root = EMPTY_ROOT;
  for (let j = stack.length - 1; j >= 0; j--) {
    const s = stack[j] as Uint8Array;
    root = j === stack.length - 1 ? s : node(s, root);
    const c = coords[j] as NodeCoord;
    suffix.set(c.index * 2 ** c.level, root);
  }
  const hashAt = (level: number, index: number): Uint8Array => {
    const h = known[level]?.get(index);
    if (h === undefined) throw new RangeError(`hash (${level}, ${index}) is not in the batch`);
    return h;
  };
  // Every other range of a proof is a perfect subtree: one lookup, no rangeNodes list.
  const perfect = (lo: number, hi: number): Uint8Array => {
    let level = 0;
    let width = 1;
    while (width < hi - lo) {
      width *= 2;
      level += 1;
    }
    const h = width === hi - lo && lo % width === 0 ? known[level]?.get(lo / width) : undefined;
    return h ?? rangeHash(lo, hi, hashAt);
  };
  return {
    first,
    size,
    root,
    frontier: stack,
    hashes,
    firstHashPos: storedHashCount(first),
    proof: (index) => {
      if (!Number.isSafeInteger(index) || index < first || index >= size)
        throw new RangeError(`index ${index} is not in the batch ${first}..${size - 1}`);
      return inclusionRanges(index, size).map(([lo, hi]) =>
        hi === size ? (suffix.get(lo) ?? rangeHash(lo, hi, hashAt)) : perfect(lo, hi),
      );
    },
  };
}
