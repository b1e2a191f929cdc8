import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  rangeHash,
  rootFromLeafHashes,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle.js';
import { fromHex, sha256, toHex } from '../../src/crypto/index.js';
import { memoryTree } from './fixtures/temp-log.js';
import { vectorPath } from '../helpers/paths.js';

interface Vector {
  id: string;
  kind: 'leaf_hash' | 'root' | 'node_hashes' | 'inclusion' | 'consistency';
  leaf_input_hex?: string;
  leaf_inputs_hex?: string[];
  expected_leaf_hash_hex?: string;
  expected_root_hex?: string;
  tree_size?: number;
  expected_node_hashes_by_level_hex?: string[][];
  leaf_index?: number;
  proof_hex?: string[];
  size1?: number;
  size2?: number;
  root1_hex?: string;
  root2_hex?: string;
}
const file = JSON.parse(readFileSync(vectorPath('rfc6962.json'), 'utf8')) as { vectors: Vector[] };
const ofKind = (k: Vector['kind']): Vector[] => file.vectors.filter((v) => v.kind === k);

const leavesOf = (v: Vector): Uint8Array[] =>
  (v.leaf_inputs_hex ?? []).map((h) => leafHash(fromHex(h)));
const hexes = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

describe('merkle known answers (test/vectors/rfc6962.json)', () => {
  it('has every kind of vector', () => {
    for (const k of ['leaf_hash', 'root', 'node_hashes', 'inclusion', 'consistency'] as const) {
      expect(ofKind(k).length).toBeGreaterThan(0);
    }
  });

  it.each(ofKind('leaf_hash').map((v) => [v.id, v] as const))('leaf hash %s', (_id, v) => {
    expect(toHex(leafHash(fromHex(v.leaf_input_hex ?? 'x')))).toBe(v.expected_leaf_hash_hex);
  });

  it.each(ofKind('root').map((v) => [v.id, v] as const))('root %s', (_id, v) => {
    const leaves = leavesOf(v);
    expect(leaves.length).toBe(v.tree_size);
    expect(toHex(rootFromLeafHashes(leaves))).toBe(v.expected_root_hex);
    expect(toHex(rootOf(leaves.length, memoryTree(leaves)))).toBe(v.expected_root_hex);
  });

  it('node hashes at every (level, index)', () => {
    const [v] = ofKind('node_hashes') as [Vector];
    const leaves = leavesOf(v);
    const byLevel = v.expected_node_hashes_by_level_hex ?? [];
    expect(byLevel.length).toBeGreaterThan(1);
    byLevel.forEach((row, level) =>
      row.forEach((want, index) => {
        const lo = index * 2 ** level;
        expect(toHex(rootFromLeafHashes(leaves.slice(lo, lo + 2 ** level)))).toBe(want);
        expect(toHex(rangeHash(lo, lo + 2 ** level, memoryTree(leaves)))).toBe(want);
      }),
    );
  });

  it.each(ofKind('inclusion').map((v) => [v.id, v] as const))('inclusion %s', (_id, v) => {
    const leaves = leavesOf(v);
    const index = v.leaf_index as number;
    const size = v.tree_size as number;
    expect(hexes(inclusionProof(index, size, memoryTree(leaves)))).toEqual(v.proof_hex);
    const proof = (v.proof_hex ?? []).map(fromHex);
    const root = fromHex(v.expected_root_hex ?? '');
    expect(
      verifyInclusion(leafHash(fromHex(v.leaf_input_hex ?? '')), index, size, proof, root),
    ).toBe(true);
  });

  it.each(ofKind('consistency').map((v) => [v.id, v] as const))('consistency %s', (_id, v) => {
    const leaves = leavesOf(v);
    const [m, n] = [v.size1 as number, v.size2 as number];
    expect(hexes(consistencyProof(m, n, memoryTree(leaves)))).toEqual(v.proof_hex);
    const proof = (v.proof_hex ?? []).map(fromHex);
    expect(
      verifyConsistency(m, n, proof, fromHex(v.root1_hex ?? ''), fromHex(v.root2_hex ?? '')),
    ).toBe(true);
  });

  it('the empty root is SHA-256 of the empty string', () => {
    expect(toHex(EMPTY_ROOT)).toBe(toHex(sha256(new Uint8Array(0))));
    expect(toHex(rootFromLeafHashes([]))).toBe(toHex(EMPTY_ROOT));
  });
});

// One fixed random-looking tree of MAX leaves; every size n uses its first n leaves.
const MAX = 300;
const LEAVES = Array.from({ length: MAX }, (_, i) => leafHash(sha256(`leaf-${i}`)));
const TREE = memoryTree(LEAVES);
const ROOTS = Array.from({ length: MAX + 1 }, (_, n) => rootOf(n, TREE));

function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(h);
  const at = Math.floor(bit / 8) % out.length;
  out[at] = (out[at] as number) ^ (1 << (bit % 8));
  return out;
}

const sizeAndIndex = fc
  .integer({ min: 1, max: MAX })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
const twoSizes = fc
  .integer({ min: 1, max: MAX })
  .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

describe('verifyInclusion (property)', () => {
  it('accepts every generated proof and matches the naive root', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, i]) => {
        expect(toHex(ROOTS[n] as Uint8Array)).toBe(toHex(rootFromLeafHashes(LEAVES.slice(0, n))));
        const proof = inclusionProof(i, n, TREE);
        return verifyInclusion(LEAVES[i] as Uint8Array, i, n, proof, ROOTS[n] as Uint8Array);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects when any one bit of the proof, the leaf hash or the root flips', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(255), ([n, i], bit) => {
        const proof = inclusionProof(i, n, TREE);
        const leaf = LEAVES[i] as Uint8Array;
        const root = ROOTS[n] as Uint8Array;
        expect(verifyInclusion(flipBit(leaf, bit), i, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof, flipBit(root, bit))).toBe(false);
        proof.forEach((_, k) => {
          const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
          expect(verifyInclusion(leaf, i, n, bad, root)).toBe(false);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a shortened proof against the root of the subtree it does reach', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([n, i]) => {
        fc.pre(n > 1);
        let k = 1;
        while (k * 2 < n) k *= 2;
        const proof = inclusionProof(i, n, TREE);
        const subtreeRoot = i < k ? rangeHash(0, k, TREE) : rangeHash(k, n, TREE);
        const leaf = LEAVES[i] as Uint8Array;
        return !verifyInclusion(leaf, i, n, proof.slice(0, -1), subtreeRoot);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects for any other index, or any other size with that size’s root', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(MAX), fc.integer({ min: 1, max: MAX }), ([n, i], j, m) => {
        const proof = inclusionProof(i, n, TREE);
        const leaf = LEAVES[i] as Uint8Array;
        if (j !== i) expect(verifyInclusion(leaf, j, n, proof, ROOTS[n] as Uint8Array)).toBe(false);
        if (m !== n) expect(verifyInclusion(leaf, i, m, proof, ROOTS[m] as Uint8Array)).toBe(false);
        // A root does not commit to its size (the signed checkpoint does), but the path
        // length does: a claimed size needing a different path length must fail.
        if (m > n && inclusionProof(i, m, TREE).length !== proof.length) {
          expect(verifyInclusion(leaf, i, m, proof, ROOTS[n] as Uint8Array)).toBe(false);
        }
        expect(
          verifyInclusion(leaf, i, n, [...proof, LEAVES[0] as Uint8Array], ROOTS[n] as Uint8Array),
        ).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusion(leaf, i, n, proof.slice(1), ROOTS[n] as Uint8Array)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('verifyConsistency (property)', () => {
  it('accepts every generated proof', () => {
    fc.assert(
      fc.property(twoSizes, ([m, n]) => {
        const proof = consistencyProof(m, n, TREE);
        return verifyConsistency(m, n, proof, ROOTS[m] as Uint8Array, ROOTS[n] as Uint8Array);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects when any one bit of the proof or either root flips', () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(255), ([m, n], bit) => {
        const proof = consistencyProof(m, n, TREE);
        const [r1, r2] = [ROOTS[m] as Uint8Array, ROOTS[n] as Uint8Array];
        expect(verifyConsistency(m, n, proof, flipBit(r1, bit), r2)).toBe(false);
        expect(verifyConsistency(m, n, proof, r1, flipBit(r2, bit))).toBe(false);
        proof.forEach((_, k) => {
          const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
          expect(verifyConsistency(m, n, bad, r1, r2)).toBe(false);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects for other sizes with their roots, and for extra or missing proof nodes', () => {
    fc.assert(
      fc.property(twoSizes, fc.integer({ min: 1, max: MAX }), ([m, n], k) => {
        const proof = consistencyProof(m, n, TREE);
        const [r1, r2] = [ROOTS[m] as Uint8Array, ROOTS[n] as Uint8Array];
        if (k !== m && k <= n)
          expect(verifyConsistency(k, n, proof, ROOTS[k] as Uint8Array, r2)).toBe(false);
        if (k !== n && k >= m)
          expect(verifyConsistency(m, k, proof, r1, ROOTS[k] as Uint8Array)).toBe(false);
        // The true roots, but a claimed second size whose path has another length.
        if (k > n && consistencyProof(m, k, TREE).length !== proof.length) {
          expect(verifyConsistency(m, k, proof, r1, r2)).toBe(false);
        }
        expect(verifyConsistency(m, n, [...proof, LEAVES[0] as Uint8Array], r1, r2)).toBe(false);
        if (proof.length > 0)
          expect(verifyConsistency(m, n, proof.slice(0, -1), r1, r2)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('range checks on wire inputs', () => {
  const proof = inclusionProof(3, 10, TREE);
  const leaf = LEAVES[3] as Uint8Array;
  const root = ROOTS[10] as Uint8Array;
  const badNumbers = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_VALUE];

  it('verifyInclusion returns false for impossible indices and sizes', () => {
    expect(verifyInclusion(leaf, 3, 10, proof, root)).toBe(true);
    for (const x of badNumbers) {
      expect(verifyInclusion(leaf, x, 10, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, 3, x, proof, root)).toBe(false);
    }
    expect(verifyInclusion(leaf, 10, 10, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 0, [], EMPTY_ROOT)).toBe(false);
  });

  it('verifyInclusion returns false for hashes of the wrong length', () => {
    expect(verifyInclusion(leaf.subarray(1), 3, 10, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 3, 10, proof, root.subarray(0, 31))).toBe(false);
    expect(verifyInclusion(leaf, 3, 10, [...proof.slice(1), new Uint8Array(33)], root)).toBe(false);
  });

  it('verifyConsistency returns false for impossible sizes', () => {
    const cp = consistencyProof(4, 10, TREE);
    const r4 = ROOTS[4] as Uint8Array;
    expect(verifyConsistency(4, 10, cp, r4, root)).toBe(true);
    for (const x of badNumbers) {
      expect(verifyConsistency(x, 10, cp, r4, root)).toBe(false);
      expect(verifyConsistency(4, x, cp, r4, root)).toBe(false);
    }
    expect(verifyConsistency(0, 10, cp, EMPTY_ROOT, root)).toBe(false);
    expect(verifyConsistency(10, 4, cp, root, r4)).toBe(false);
    expect(verifyConsistency(10, 10, [], root, root)).toBe(true);
    expect(verifyConsistency(10, 10, [r4], root, root)).toBe(false);
    expect(verifyConsistency(10, 10, [], root, r4)).toBe(false);
  });

  it('proof generation throws RangeError for impossible arguments', () => {
    expect(() => inclusionProof(10, 10, TREE)).toThrow(RangeError);
    expect(() => inclusionProof(-1, 10, TREE)).toThrow(RangeError);
    expect(() => inclusionProof(0.5, 10, TREE)).toThrow(RangeError);
    expect(() => consistencyProof(0, 10, TREE)).toThrow(RangeError);
    expect(() => consistencyProof(11, 10, TREE)).toThrow(RangeError);
    expect(() => rootOf(-1, TREE)).toThrow(RangeError);
    expect(consistencyProof(7, 7, TREE)).toEqual([]);
  });
});
