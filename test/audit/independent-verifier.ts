/**
 * An independent, minimal RFC 9162 verifier for the tests, written from the RFC text
 * (§2.1.1 MTH, §2.1.3.2 inclusion, §2.1.4.2 consistency). It deliberately does not import
 * src/audit/merkle*.ts, so a shared misunderstanding cannot make the gateway's proofs
 * and their check agree by accident. Shifts use division: sizes may exceed 2^31.
 */
import { sha256 } from '../../src/crypto/index.js';

const hashLeaf = (leaf: Uint8Array): Uint8Array => sha256(Buffer.concat([Buffer.from([0]), leaf]));
const hashChildren = (l: Uint8Array, r: Uint8Array): Uint8Array =>
  sha256(Buffer.concat([Buffer.from([1]), l, r]));
const lsb = (n: number): boolean => n % 2 === 1;
const shr = (n: number): number => Math.floor(n / 2);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** RFC 9162 §2.1.1 leaf hash of raw leaf bytes. */
export function refLeafHash(leaf: Uint8Array): Uint8Array {
  return hashLeaf(leaf);
}

/** RFC 9162 §2.1.1 MTH over leaf hashes, straight from the recursive definition. */
export function refRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return sha256(new Uint8Array(0));
  if (n === 1) return leafHashes[0]!;
  let k = 1;
  while (k * 2 < n) k *= 2; // largest power of two smaller than n
  return hashChildren(refRoot(leafHashes.slice(0, k)), refRoot(leafHashes.slice(k)));
}

/** RFC 9162 §2.1.3.2, step for step. */
export function refVerifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  path: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (leafIndex >= treeSize) return false; // step 1
  let fn = leafIndex; // step 2
  let sn = treeSize - 1;
  let r = leafHash; // step 3
  for (const p of path) {
    // step 4
    if (sn === 0) return false; // 4a
    if (lsb(fn) || fn === sn) {
      r = hashChildren(p, r); // 4b.1
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shr(fn);
          sn = shr(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = shr(fn); // 4c
    sn = shr(sn);
  }
  return sn === 0 && same(r, rootHash); // step 5
}

/** RFC 9162 §2.1.4.2, step for step (first ≥ 1; equal sizes need an empty path and equal roots). */
export function refVerifyConsistency(
  first: number,
  second: number,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): boolean {
  if (first < 1 || first > second) return false;
  if (first === second) return consistencyPath.length === 0 && same(firstHash, secondHash);
  if (consistencyPath.length === 0) return false; // step 1
  const path = (first & (first - 1)) === 0 ? [firstHash, ...consistencyPath] : [...consistencyPath]; // step 2
  let fn = first - 1; // step 3
  let sn = second - 1;
  while (lsb(fn)) {
    // step 4
    fn = shr(fn);
    sn = shr(sn);
  }
  let fr = path[0]!; // step 5
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    // step 6
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = shr(fn);
          sn = shr(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = shr(fn);
    sn = shr(sn);
  }
  return same(fr, firstHash) && same(sr, secondHash) && sn === 0; // step 7
}
