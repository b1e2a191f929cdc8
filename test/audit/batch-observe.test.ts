import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointHeadSigner, noteVerifier } from '../../src/audit/checkpoint.js';
import type { FileBatchObservation } from '../../src/audit/log-store.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { generateEd25519KeyPair } from '../../src/crypto/index.js';
import { sampleLeaf, tempDir } from './fixtures/temp-log.js';

/**
 * The file log reports each committed batch once it is durable (the gateway's
 * gateway_audit_batch_size and gateway_audit_batch_commit_seconds): every leaf in exactly
 * one observation, and nothing for a batch that failed.
 */
describe('file log: one observation per durable batch', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());
  const key = generateEd25519KeyPair();
  const signer = checkpointHeadSigner(
    noteVerifier('test.example/observe', key.publicKey),
    key.secretKey,
  );

  for (const signing of [false, true]) {
    it(`counts every leaf once, in batches that grow under concurrency (${signing ? 'with' : 'without'} receipts)`, async () => {
      const seen: FileBatchObservation[] = [];
      const store = await openFileLogStore(tmp.dir, {
        ...(signing && { signer }),
        observe: (o) => seen.push(o),
      });
      try {
        // Three sequential appends: three batches of one.
        for (let i = 0; i < 3; i++) await store.append(sampleLeaf(i));
        expect(seen.map((o) => o.leaves)).toEqual([1, 1, 1]);
        // 200 concurrent appends: they queue behind the batch in flight.
        await Promise.all(Array.from({ length: 200 }, (_, i) => store.append(sampleLeaf(3 + i))));
        const leaves = seen.map((o) => o.leaves);
        expect(leaves.reduce((a, b) => a + b, 0)).toBe(store.size());
        expect(store.size()).toBe(203);
        expect(Math.max(...leaves)).toBeGreaterThan(1);
        for (const o of seen) {
          expect(o.commitSeconds).toBeGreaterThan(0);
          expect(o.commitSeconds).toBeLessThan(60);
        }
      } finally {
        await store.close();
      }
    });
  }

  it('takes a batch in the check phase of the turn after its first append', async () => {
    const seen: FileBatchObservation[] = [];
    const store = await openFileLogStore(tmp.dir, { signer, observe: (o) => seen.push(o) });
    try {
      const first = store.append(sampleLeaf(0));
      // Appends made later in the same turn (here five promise hops and a nextTick on) join
      // the first batch, as requests read in the same poll phase do in the gateway.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      const second = store.append(sampleLeaf(1));
      const third = await new Promise<Promise<unknown>>((r) =>
        process.nextTick(() => r(store.append(sampleLeaf(2)))),
      );
      await Promise.all([first, second, third]);
      expect(seen.map((o) => o.leaves)).toEqual([3]);
      // One issued from a later turn's check phase waits for a batch of its own.
      await new Promise((r) => setImmediate(r));
      await store.append(sampleLeaf(3));
      expect(seen.map((o) => o.leaves)).toEqual([3, 1]);
      // The batch is taken one turn later: an append made in the next turn (here its check
      // phase, as a request read in its poll phase would) still joins it.
      await new Promise((r) => setImmediate(r));
      const early = store.append(sampleLeaf(4));
      const late = await new Promise<Promise<unknown>>((r) =>
        setImmediate(() => r(store.append(sampleLeaf(5)))),
      );
      await Promise.all([early, late]);
      expect(seen.map((o) => o.leaves)).toEqual([3, 1, 2]);
    } finally {
      await store.close();
    }
  });

  it('keeps a durable batch when the observer throws', async () => {
    const store = await openFileLogStore(tmp.dir, {
      signer,
      observe: () => {
        throw new Error('metrics broke');
      },
    });
    try {
      expect((await store.append(sampleLeaf(0))).index).toBe(0);
      expect((await store.append(sampleLeaf(1))).index).toBe(1);
      expect(store.size()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('reports nothing for a batch that failed (entries.log is /dev/full)', async () => {
    const dir = join(tmp.dir, 'full');
    mkdirSync(dir);
    symlinkSync('/dev/full', join(dir, 'entries.log'));
    const seen: FileBatchObservation[] = [];
    const full = await openFileLogStore(dir, { observe: (o) => seen.push(o) });
    try {
      await expect(full.append(sampleLeaf(1))).rejects.toThrow(/write failed/);
      expect(seen).toEqual([]);
    } finally {
      await full.close();
    }
  });
});
