import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchHex } from '../../src/audit/batch-hex.js';
import { frontierRoot, integrateBatch } from '../../src/audit/batch-tree.js';
import { inclusionProof, leafHash, rangeNodes } from '../../src/audit/merkle.js';
import { writeOffset, writeOffsetAt } from '../../src/audit/storage/batch-limits.js';
import { recordSize, writeRecord } from '../../src/audit/storage/record-format.js';

/**
 * Issue 19: a batch's receipts are computed without per-receipt hashing or hex encoding
 * (the right-edge ranges of every proof come from the root's fold, each distinct node is
 * hex-encoded once per batch, hashes are made as hex digests). Compared here with the
 * previous computation: RFC 9162 `inclusionProof` over a hash accessor of the whole tree
 * (independent SHA-256 via createHash), `toHex` of every node, and the record bytes.
 */

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every perfect subtree hash of a tree of `leafHashes`, by level and index (reference). */
function fullTree(leafHashes: readonly Uint8Array[]): (level: number, index: number) => Uint8Array {
  const levels: Uint8Array[][] = [[...leafHashes]];
  for (let l = 0; (levels[l] as Uint8Array[]).length > 1; l++) {
    const cur = levels[l] as Uint8Array[];
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < cur.length; i += 2)
      next.push(sha(Uint8Array.of(1), cur[i] as Uint8Array, cur[i + 1] as Uint8Array));
    levels.push(next);
  }
  return (level, index) => {
    const h = levels[level]?.[index];
    if (h === undefined) throw new RangeError(`no (${level}, ${index})`);
    return h;
  };
}

describe('batch receipts (issue 19 fast path)', () => {
  it('gives the proofs, hex and root of the previous computation for random batches', () => {
    const all = Array.from({ length: 3000 }, (_, i) => sha(Uint8Array.of(0), Buffer.from(`l${i}`)));
    const hashAt = fullTree(all);
    fc.assert(
      fc.property(fc.nat(2900), fc.integer({ min: 1, max: 100 }), (first, count) => {
        const size = Math.min(first + count, all.length);
        const frontier = rangeNodes(0, first).map((n) => hashAt(n.level, n.index));
        const hex = new BatchHex();
        const b = integrateBatch(first, frontier, all.slice(first, size), hex);
        // Perfect subtrees inside [0, size) are those of the whole reference tree.
        const ref = hashAt;
        expect(hexOf(b.root)).toBe(hexOf(frontierRoot(b.frontier)));
        for (let i = first; i < size; i++) {
          const want = inclusionProof(i, size, ref).map(hexOf);
          const got = b.proof(i);
          expect(got.map(hexOf)).toEqual(want);
          expect(got.map((n) => hex.of(n))).toEqual(want);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('records each node hash the batch makes with its hex', () => {
    const all = Array.from({ length: 64 }, (_, i) => sha(Uint8Array.of(0), Buffer.from(`m${i}`)));
    const hex = new BatchHex();
    const b = integrateBatch(0, [], all, hex);
    // A node made by the batch is found without encoding: its recorded hex is its bytes'.
    for (const h of b.hashes) expect(hex.of(h)).toBe(hexOf(h));
  });

  it('writes records and offsets byte for byte as before, returning the leaf hash hex', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 20 }),
        fc.nat(2 ** 40),
        (leaves, start) => {
          const size = leaves.reduce((s, l) => s + recordSize(l.length), 0);
          const out = Buffer.allocUnsafe(size + 7).subarray(7); // odd byteOffset on purpose
          out.fill(0xee);
          const want: Buffer[] = [];
          const offsets = Buffer.alloc(leaves.length * 8, 0xee);
          let at = 0;
          leaves.forEach((leaf, i) => {
            const h = leafHash(leaf);
            const len = Buffer.alloc(4);
            len.writeUInt32LE(leaf.length);
            want.push(len, Buffer.from(h), Buffer.of(0), Buffer.from(leaf));
            expect(writeRecord(out, at, leaf, leaf.length)).toBe(hexOf(h));
            writeOffsetAt(offsets, i * 8, start + at);
            const slot = Buffer.alloc(8); // the previous writeOffset: 48-bit LE, two zero bytes
            slot.writeUIntLE(start + at, 0, 6);
            expect(offsets.subarray(i * 8, i * 8 + 8)).toEqual(slot);
            expect(writeOffset(start + at)).toEqual(slot);
            at += recordSize(leaf.length);
          });
          expect(out.subarray(0, at)).toEqual(Buffer.concat(want));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
