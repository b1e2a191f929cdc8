import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointHeadSigner,
  noteVerifier,
  verifyCheckpoint,
} from '../../src/audit/checkpoint.js';
import type { MerkleLogStore, StoredLeaf } from '../../src/audit/log-store.js';
import { leafHash, verifyInclusion } from '../../src/audit/merkle.js';
import { OFFSET_BYTES, readOffset } from '../../src/audit/storage/batch-limits.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { HEAD_FILE } from '../../src/audit/storage/head-file.js';
import { generateEd25519KeyPair } from '../../src/crypto/index.js';
import { sampleLeaf, tempDir } from './fixtures/temp-log.js';

/**
 * A signing file log fdatasyncs only entries.log and head.bin per batch (group-commit.ts):
 * offsets.bin and hashes.bin are indexes derived from entries.log. These tests give open()
 * what a power loss can leave of the indexes (short, stale pages, a batch entries.log never
 * got) and check that it rebuilds them byte for byte under the signed head and says so; and
 * that damage to what the head signed is still refused, with nothing cut.
 */
const ORIGIN = 'test.example/index-rebuild';
const INDEXES = ['offsets.bin', 'hashes.bin'] as const;
const FILES = ['entries.log', ...INDEXES, HEAD_FILE] as const;

describe('file log: indexes rebuilt under the signed head', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: MerkleLogStore | undefined;
  let rebuilt: string[];
  const key = generateEd25519KeyPair();
  const verifier = noteVerifier(ORIGIN, key.publicKey);
  const signer = checkpointHeadSigner(verifier, key.secretKey);
  const file = (name: string) => join(tmp.dir, name);
  const open = async () =>
    (store = await openFileLogStore(tmp.dir, {
      signer,
      onIndexesRebuilt: (reason) => rebuilt.push(reason),
    }));
  const close = async () => {
    await store?.close();
    store = undefined;
  };
  /** Appends leaves from..to-1, one batch each; returns their receipts. */
  const appendRange = async (from: number, to: number): Promise<StoredLeaf[]> => {
    const s = store ?? (await open());
    const out: StoredLeaf[] = [];
    for (let i = from; i < to; i++) out.push(await s.append(sampleLeaf(i)));
    return out;
  };
  const snapshot = () => Object.fromEntries(FILES.map((f) => [f, readFileSync(file(f))]));
  const expectReadable = async (s: MerkleLogStore, receipts: StoredLeaf[]) => {
    for (const r of receipts) {
      expect(Buffer.from(await s.leaf(r.index))).toEqual(Buffer.from(sampleLeaf(r.index)));
      const cp = verifyCheckpoint(r.checkpoint!.note, verifier);
      const proof = await s.inclusionProof(r.index, cp.size);
      expect(verifyInclusion(leafHash(sampleLeaf(r.index)), r.index, cp.size, proof, cp.root)).toBe(
        true,
      );
    }
  };

  beforeEach(() => {
    tmp = tempDir();
    rebuilt = [];
  });
  afterEach(async () => {
    await close();
    tmp.remove();
  });

  it('a clean reopen rebuilds nothing', async () => {
    await appendRange(0, 9);
    await close();
    await open();
    expect(rebuilt).toEqual([]);
  });

  it('indexes left behind (short: the last batches never reached the disk) are rebuilt', async () => {
    await appendRange(0, 7);
    await close();
    const at7 = snapshot();
    const receipts = await appendRange(7, 13);
    await close();
    const at13 = snapshot();
    // The durable pair is at 13 entries; the indexes as they were at 7.
    for (const f of INDEXES) writeFileSync(file(f), at7[f]!);
    const s = await open();
    // Short indexes of intact records are extended by the ordinary recovery (as after a
    // killed process): nothing disagreed, so no rebuild is reported.
    expect(rebuilt).toEqual([]);
    expect(s.size()).toBe(13);
    for (const f of INDEXES) expect(readFileSync(file(f))).toEqual(at13[f]);
    await expectReadable(s, receipts);
  });

  it('indexes ahead of entries.log (a batch whose index pages landed, its records not) are cut back', async () => {
    const receipts = await appendRange(0, 7);
    await close();
    const at7 = snapshot();
    await appendRange(7, 10);
    await close();
    // entries.log and head.bin as of 7 (the last acknowledged batch), indexes of 10.
    writeFileSync(file('entries.log'), at7['entries.log']!);
    writeFileSync(file(HEAD_FILE), at7[HEAD_FILE]!);
    const s = await open();
    expect(rebuilt).toHaveLength(1);
    expect(s.size()).toBe(7);
    for (const f of INDEXES) expect(readFileSync(file(f))).toEqual(at7[f]);
    await expectReadable(s, receipts);
    expect((await s.append(sampleLeaf(7))).index).toBe(7);
  });

  it('stale pages anywhere in the indexes (random zeroed or cut ranges) are rebuilt byte for byte', async () => {
    const receipts = await appendRange(0, 40);
    await close();
    const good = snapshot();
    let rebuilds = 0;
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let trial = 0; trial < 30; trial++) {
      for (const f of INDEXES) writeFileSync(file(f), good[f]!);
      const f = INDEXES[trial % 2]!;
      const bytes = Buffer.from(good[f]!);
      const from = rand(bytes.length);
      if (trial % 3 === 0) {
        truncateSync(file(f), from);
      } else {
        bytes.fill(0, from, from + 1 + rand(bytes.length - from));
        writeFileSync(file(f), bytes);
      }
      rebuilt = [];
      const s = await open();
      // Zeros over bytes that were zero change nothing, and a cut is only extended.
      expect(rebuilt.length, `trial ${trial}`).toBeLessThanOrEqual(1);
      rebuilds += rebuilt.length;
      expect(s.size()).toBe(40);
      await close();
      for (const g of FILES) expect(readFileSync(file(g)), `trial ${trial}: ${g}`).toEqual(good[g]);
    }
    expect(rebuilds).toBeGreaterThanOrEqual(10); // not vacuous: most trials disagreed
    await expectReadable(await open(), receipts);
  });

  it('a damaged record the head signed is refused and nothing is cut, even with the indexes gone', async () => {
    await appendRange(0, 10);
    await close();
    const offsets = readFileSync(file('offsets.bin'));
    const entries = readFileSync(file('entries.log'));
    // Flip a byte of the last record: without the head, a torn tail the indexes no longer vouch for.
    const last = readOffset(offsets.subarray(9 * OFFSET_BYTES));
    entries[last + 40] = entries[last + 40]! ^ 0x01;
    writeFileSync(file('entries.log'), entries);
    for (const f of INDEXES) truncateSync(file(f), 0);
    await expect(open()).rejects.toThrow(
      new RegExp(
        `entries\\.log record 9 at byte ${last} is damaged but head\\.bin signs 10 entries`,
      ),
    );
    expect(readFileSync(file('entries.log'))).toEqual(entries);
  });

  it('entries cut below the signed head are refused, with or without their indexes', async () => {
    await appendRange(0, 10);
    await close();
    const offsets = readFileSync(file('offsets.bin'));
    truncateSync(file('entries.log'), readOffset(offsets.subarray(8 * OFFSET_BYTES)));
    const cut = readFileSync(file('entries.log'));
    await expect(open()).rejects.toThrow(
      /head\.bin signs 10 entries but the files hold 8 \(acknowledged entries were cut\)/,
    );
    for (const f of INDEXES) truncateSync(file(f), 0);
    await expect(open()).rejects.toThrow(/head\.bin signs 10 entries but the files hold 8/);
    expect(readFileSync(file('entries.log'))).toEqual(cut);
  });

  it('a record rewritten with a valid checksum is rebuilt into a tree the head did not sign: refused', async () => {
    await appendRange(0, 10);
    await close();
    const head = readFileSync(file(HEAD_FILE));
    const good = snapshot();
    // A consistent forged log of the same length (entry 4 altered), under the real head.
    tmp.remove();
    tmp = tempDir();
    await appendRange(0, 4);
    await store!.append(new TextEncoder().encode('{"i":4,"forged":true}'));
    await appendRange(5, 10);
    await close();
    writeFileSync(file(HEAD_FILE), head);
    // With its own consistent indexes, or with the real log's: the signed root decides.
    await expect(open()).rejects.toThrow(/not the root head\.bin signed/);
    for (const f of INDEXES) writeFileSync(file(f), good[f]!);
    await expect(open()).rejects.toThrow(/not the root head\.bin signed/);
  });

  it('without a signer the indexes are the only witnesses: a mismatch is still refused', async () => {
    const plain = await openFileLogStore(tmp.dir);
    for (let i = 0; i < 5; i++) await plain.append(sampleLeaf(i));
    await plain.close();
    const hashes = readFileSync(file('hashes.bin'));
    hashes[5] = hashes[5]! ^ 0x01;
    writeFileSync(file('hashes.bin'), hashes);
    await expect(openFileLogStore(tmp.dir)).rejects.toThrow(
      /hashes\.bin hash #0 \(leaf 0\) does not match entries\.log/,
    );
    expect(readFileSync(file('hashes.bin'))).toEqual(hashes); // refused, not repaired
  });
});
