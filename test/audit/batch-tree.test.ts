import { describe, expect, it } from 'vitest';
import {
  frontierRoot,
  integrateBatch,
  packFrontier,
  unpackFrontier,
} from '../../src/audit/batch-tree.js';
import { leafHash, rangeNodes, rootFromLeafHashes } from '../../src/audit/merkle.js';
import { storedHashCount } from '../../src/audit/storage/tlog-layout.js';
import { refRoot, refVerifyInclusion } from './independent-verifier.js';

const leaves = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${tag}${i}`)));

describe('integrateBatch (one batch into the tree, receipts from memory)', () => {
  it('matches an independent RFC 6962 implementation for every split of the first 70 leaves', () => {
    const all = leaves(70, 'x');
    for (let first = 0; first < 60; first += 1) {
      for (const count of [1, 2, 3, 5, 8, 10]) {
        const before = all.slice(0, first);
        // The frontier is the compact range: perfect subtrees covering [0, first).
        const frontier = rangeNodes(0, first).map((n) =>
          rootFromLeafHashes(before.slice(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level)),
        );
        const b = integrateBatch(first, frontier, all.slice(first, first + count));
        const size = first + count;
        expect(Buffer.from(b.root)).toEqual(Buffer.from(refRoot(all.slice(0, size))));
        expect(Buffer.from(frontierRoot(b.frontier))).toEqual(Buffer.from(b.root));
        expect(b.firstHashPos).toBe(storedHashCount(first));
        expect(b.firstHashPos + b.hashes.length).toBe(storedHashCount(size));
        for (let i = first; i < size; i++)
          expect(refVerifyInclusion(i, size, all[i] as Uint8Array, b.proof(i), b.root)).toBe(true);
        expect(() => b.proof(size)).toThrow(RangeError);
        expect(unpackFrontier(packFrontier(b.frontier), size).map((h) => Buffer.from(h))).toEqual(
          b.frontier.map((h) => Buffer.from(h)),
        );
      }
    }
  });

  it('refuses a frontier that does not fit the size', () => {
    expect(() => integrateBatch(3, [], leaves(1, 'y'))).toThrow(RangeError);
    expect(() => unpackFrontier(new Uint8Array(31), 1)).toThrow(RangeError);
  });
});
