import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MerkleLogStore } from '../../src/audit/log-store.js';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  rootOf,
  verifyInclusion,
} from '../../src/audit/merkle.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { toHex } from '../../src/crypto/index.js';
import { memoryHashAt, sampleLeaf, tempDir } from './fixtures/temp-log.js';

const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

describe('openFileLogStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: MerkleLogStore;
  beforeEach(async () => {
    tmp = tempDir();
    store = await openFileLogStore(tmp.dir);
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  describe('when empty', () => {
    it('has size 0 and the empty root', async () => {
      expect(store.size()).toBe(0);
      expect(toHex(await store.rootAt(0))).toBe(toHex(EMPTY_ROOT));
    });
  });

  describe('after appends', () => {
    const N = 70;
    const leaves = Array.from({ length: N }, (_, i) => sampleLeaf(i));
    leaves[5] = new Uint8Array(0); // the empty leaf is a valid leaf
    beforeEach(async () => {
      for (const leaf of leaves) await store.append(leaf);
    });

    it('returns each leaf, its hash and its index', async () => {
      expect(store.size()).toBe(N);
      for (let i = 0; i < N; i++) {
        expect(toHex(await store.leaf(i))).toBe(toHex(leaves[i] as Uint8Array));
        expect(toHex(await store.leafHash(i))).toBe(toHex(leafHash(leaves[i] as Uint8Array)));
      }
      const r = await store.append(sampleLeaf(999));
      expect(r.index).toBe(N);
      expect(toHex(r.leafHash)).toBe(toHex(leafHash(sampleLeaf(999))));
    });

    it('serves roots and proofs identical to merkle.ts over all leaves', async () => {
      const oracle = memoryHashAt(leaves);
      for (let n = 1; n <= N; n++) {
        const root = await store.rootAt(n);
        expect(toHex(root)).toBe(toHex(rootOf(n, oracle)));
        for (const i of new Set([0, n - 1, Math.floor(n / 2), (n * 7) % n])) {
          const proof = await store.inclusionProof(i, n);
          expect(hex(proof)).toEqual(hex(inclusionProof(i, n, oracle)));
          expect(verifyInclusion(leafHash(leaves[i] as Uint8Array), i, n, proof, root)).toBe(true);
        }
        for (const m of new Set([1, Math.ceil(n / 3), n])) {
          expect(hex(await store.consistencyProof(m, n))).toEqual(
            hex(consistencyProof(m, n, oracle)),
          );
        }
      }
    });

    it('keeps everything across close and reopen, and continues the indices', async () => {
      const root = await store.rootAt(N);
      await store.close();
      store = await openFileLogStore(tmp.dir);
      expect(store.size()).toBe(N);
      expect(toHex(await store.rootAt(N))).toBe(toHex(root));
      expect(toHex(await store.leaf(N - 1))).toBe(toHex(leaves[N - 1] as Uint8Array));
      expect((await store.append(sampleLeaf(N))).index).toBe(N);
      expect(toHex(await store.rootAt(N + 1))).toBe(
        toHex(rootOf(N + 1, memoryHashAt([...leaves, sampleLeaf(N)]))),
      );
    });

    it('throws RangeError for indices and sizes outside the tree', async () => {
      const bad = [-1, 0.5, Number.NaN, N + 1, 2 ** 53];
      await expect(store.leaf(N)).rejects.toThrow(RangeError);
      await expect(store.leafHash(N)).rejects.toThrow(RangeError);
      for (const x of bad) {
        await expect(store.rootAt(x)).rejects.toThrow(RangeError);
        await expect(store.leaf(x)).rejects.toThrow(RangeError);
        await expect(store.inclusionProof(x, N)).rejects.toThrow(RangeError);
        await expect(store.inclusionProof(0, x)).rejects.toThrow(RangeError);
        await expect(store.consistencyProof(x, N)).rejects.toThrow(RangeError);
        await expect(store.consistencyProof(1, x)).rejects.toThrow(RangeError);
      }
      await expect(store.inclusionProof(N, N)).rejects.toThrow(RangeError);
      await expect(store.consistencyProof(0, N)).rejects.toThrow(RangeError);
      await expect(store.consistencyProof(N, N - 1)).rejects.toThrow(RangeError);
      expect(await store.consistencyProof(N, N)).toEqual([]);
    });
  });

  describe('with concurrent appends', () => {
    it('gives 1000 concurrent appends distinct contiguous indices, all readable', async () => {
      const leaves = Array.from({ length: 1000 }, (_, i) => sampleLeaf(i));
      const receipts = await Promise.all(leaves.map((l) => store.append(l)));
      expect(receipts.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
      expect(store.size()).toBe(1000);
      for (let k = 0; k < 1000; k++) {
        const r = receipts[k] as { index: number; leafHash: Uint8Array };
        expect(toHex(await store.leaf(r.index))).toBe(toHex(leaves[k] as Uint8Array));
        expect(toHex(await store.leafHash(r.index))).toBe(toHex(r.leafHash));
      }
      const root = await store.rootAt(1000);
      const r = receipts[777] as { index: number; leafHash: Uint8Array };
      const proof = await store.inclusionProof(r.index, 1000);
      expect(verifyInclusion(r.leafHash, r.index, 1000, proof, root)).toBe(true);
    });

    it('only reports durable leaves in size() while a batch is in flight', async () => {
      const pending = store.append(sampleLeaf(1));
      expect(store.size()).toBe(0);
      await pending;
      expect(store.size()).toBe(1);
    });
  });

  describe('when a write fails (entries.log is /dev/full)', () => {
    it('rejects the batch, keeps the durable size, and fails closed afterwards', async () => {
      const dir = join(tmp.dir, 'full');
      mkdirSync(dir);
      symlinkSync('/dev/full', join(dir, 'entries.log'));
      const full = await openFileLogStore(dir);
      try {
        await expect(full.append(sampleLeaf(1))).rejects.toThrow(/write failed/);
        expect(full.size()).toBe(0);
        await expect(full.append(sampleLeaf(2))).rejects.toThrow(/reopen/);
      } finally {
        await full.close();
      }
    });
  });

  describe('single writer', () => {
    it('refuses a second open of the same directory until the first is closed', async () => {
      await expect(openFileLogStore(tmp.dir)).rejects.toThrow(/already open in process/);
      await store.append(sampleLeaf(1));
      await store.close();
      store = await openFileLogStore(tmp.dir);
      expect(store.size()).toBe(1);
    });

    it('takes over a lock left by a process that died', async () => {
      await store.close();
      const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
      writeFileSync(join(tmp.dir, 'writer.lock'), `${dead}\n`);
      store = await openFileLogStore(tmp.dir);
      expect(store.size()).toBe(0);
    });

    it('takes over a lock whose pid now belongs to another process (pid reuse, e.g. pid 1)', async () => {
      await store.close();
      // Our own pid with another start time: what a restarted container's pid 1 sees.
      writeFileSync(join(tmp.dir, 'writer.lock'), `${process.pid} 1\n`);
      store = await openFileLogStore(tmp.dir);
      expect(store.size()).toBe(0);
    });
  });

  describe('input checks', () => {
    it('stores a copy, so reusing the caller’s buffer changes nothing', async () => {
      const buf = sampleLeaf(3);
      const want = toHex(buf);
      const p = store.append(buf);
      buf.fill(0);
      await p;
      expect(toHex(await store.leaf(0))).toBe(want);
    });

    it('rejects leaves above maxLeafBytes with RangeError', async () => {
      const small = await openFileLogStore(tempDirFor(tmp.dir), { maxLeafBytes: 16 });
      await expect(small.append(new Uint8Array(17))).rejects.toThrow(RangeError);
      expect((await small.append(new Uint8Array(16))).index).toBe(0);
      await small.close();
    });

    it('rejects appends after close', async () => {
      await store.close();
      await expect(store.append(sampleLeaf(1))).rejects.toThrow(/closed/);
    });
  });
});

function tempDirFor(parent: string): string {
  return `${parent}/sub`;
}
