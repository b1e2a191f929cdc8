import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointHeadSigner, noteVerifier } from '../../src/audit/checkpoint.js';
import type { MerkleLogStore } from '../../src/audit/log-store.js';
import { RUNWAY_BYTES, RUNWAY_MAX_BATCH_BYTES } from '../../src/audit/storage/runway.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { FILE_NAMES } from '../../src/audit/storage/log-files.js';
import { HEAD_FILE } from '../../src/audit/storage/head-file.js';
import { RECORD_HEADER_BYTES } from '../../src/audit/storage/record-format.js';
import { generateEd25519KeyPair } from '../../src/crypto/index.js';
import { sampleLeaf, tempDir } from './fixtures/temp-log.js';

/**
 * The zeros the file log keeps written past its last record while open (RUNWAY_BYTES,
 * runway.ts, used by group-commit.ts): batches overwrite blocks entries.log already has, a clean close cuts
 * them, and a crash leaves them for open() to cut as an unacknowledged tail.
 */
const ORIGIN = 'test.example/entries-runway';
const key = generateEd25519KeyPair();
const signer = checkpointHeadSigner(noteVerifier(ORIGIN, key.publicKey), key.secretKey);
const recordBytes = (leaves: readonly Uint8Array[]): number =>
  leaves.reduce((sum, l) => sum + RECORD_HEADER_BYTES + l.length, 0);

describe('entries.log runway', () => {
  let tmp: ReturnType<typeof tempDir>;
  let stores: MerkleLogStore[] = [];
  const open = async (dir: string) => {
    const s = await openFileLogStore(dir, { signer });
    stores.push(s);
    return s;
  };
  const entriesFile = (dir: string) => join(dir, FILE_NAMES.entries);
  const sizeOf = (dir: string) => statSync(entriesFile(dir)).size;
  /** The bytes of entries.log from `from` to its end. */
  const tail = (dir: string, from: number) => readFileSync(entriesFile(dir)).subarray(from);

  beforeEach(() => {
    tmp = tempDir();
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    tmp.remove();
  });

  it('keeps RUNWAY_BYTES of zeros past the last record while open and cuts them at close', async () => {
    const s = await open(tmp.dir);
    const leaves = Array.from({ length: 100 }, (_, i) => sampleLeaf(i));
    await s.append(leaves[0]!);
    const firstEnd = recordBytes(leaves.slice(0, 1));
    expect(sizeOf(tmp.dir)).toBe(firstEnd + RUNWAY_BYTES);
    // Later batches that fit write inside the runway: the file does not grow.
    for (const leaf of leaves.slice(1)) await s.append(leaf);
    const end = recordBytes(leaves);
    expect(sizeOf(tmp.dir)).toBe(firstEnd + RUNWAY_BYTES);
    expect(tail(tmp.dir, end).every((b) => b === 0)).toBe(true);
    expect(tail(tmp.dir, end).length).toBe(firstEnd + RUNWAY_BYTES - end);

    await s.close();
    expect(sizeOf(tmp.dir)).toBe(end);
    const again = await open(tmp.dir);
    expect(again.size()).toBe(leaves.length);
    expect(await again.leaf(99)).toEqual(leaves[99]);
  });

  it('grows by another runway when a batch runs past the end of the current one', async () => {
    const s = await open(tmp.dir);
    // 60 KiB leaves: each batch of one is under RUNWAY_MAX_BATCH_BYTES.
    const leaf = (i: number) => new Uint8Array(60 * 1024).fill(0x61 + (i % 26));
    const leaves = [leaf(0)];
    await s.append(leaves[0]!);
    const runwayEnd = recordBytes(leaves) + RUNWAY_BYTES;
    expect(sizeOf(tmp.dir)).toBe(runwayEnd);
    // Batches that fit write inside it; the first that does not grows the file.
    while (recordBytes([...leaves, leaf(leaves.length)]) <= runwayEnd) {
      leaves.push(leaf(leaves.length));
      await s.append(leaves.at(-1)!);
      expect(sizeOf(tmp.dir)).toBe(runwayEnd);
    }
    leaves.push(leaf(leaves.length));
    await s.append(leaves.at(-1)!);
    const end = recordBytes(leaves);
    expect(sizeOf(tmp.dir)).toBe(end + RUNWAY_BYTES);
    expect(tail(tmp.dir, end).every((b) => b === 0)).toBe(true);
    expect(await s.leaf(leaves.length - 1)).toEqual(leaves.at(-1));
  });

  it('appends a batch over RUNWAY_MAX_BATCH_BYTES without writing zeros after it', async () => {
    const s = await open(tmp.dir);
    const big = new Uint8Array(RUNWAY_MAX_BATCH_BYTES).fill(0x62);
    await s.append(big);
    expect(sizeOf(tmp.dir)).toBe(recordBytes([big]));
    // The next small batch lays a runway again.
    await s.append(sampleLeaf(1));
    expect(sizeOf(tmp.dir)).toBe(recordBytes([big, sampleLeaf(1)]) + RUNWAY_BYTES);
    // A large batch inside the runway uses it; one that runs past it grows the file by itself.
    const inside = new Uint8Array(RUNWAY_BYTES / 2).fill(0x63);
    await s.append(inside);
    expect(sizeOf(tmp.dir)).toBe(recordBytes([big, sampleLeaf(1)]) + RUNWAY_BYTES);
    await s.append(inside);
    const end = recordBytes([big, sampleLeaf(1), inside, inside]);
    expect(end).toBeGreaterThan(recordBytes([big, sampleLeaf(1)]) + RUNWAY_BYTES);
    expect(sizeOf(tmp.dir)).toBe(end);
    await s.close();
    expect(sizeOf(tmp.dir)).toBe(end);
    expect((await open(tmp.dir)).size()).toBe(4);
  });

  it('opens a crash image of an open log with every acknowledged entry and cuts its runway', async () => {
    const s = await open(tmp.dir);
    const leaves = Array.from({ length: 300 }, (_, i) => sampleLeaf(i));
    const receipts = await Promise.all(leaves.map((l) => s.append(l)));
    await s.append(sampleLeaf(300));
    const all = [...leaves, sampleLeaf(300)];
    const end = recordBytes(all);
    expect(sizeOf(tmp.dir)).toBeGreaterThan(end);

    // What a SIGKILL leaves: the files exactly as the running log wrote them (no close).
    const image = join(tmp.dir, 'crash-image');
    mkdirSync(image);
    for (const name of [...Object.values(FILE_NAMES), HEAD_FILE])
      copyFileSync(join(tmp.dir, name), join(image, name));

    const reopened = await open(image);
    expect(sizeOf(image)).toBe(end);
    expect(reopened.size()).toBe(all.length);
    expect(await reopened.leaf(all.length - 1)).toEqual(all[all.length - 1]);
    expect(await reopened.rootAt(all.length)).toEqual(await s.rootAt(all.length));
    expect(receipts[0]!.checkpoint!.size).toBeLessThanOrEqual(reopened.size());
    // It appends after its last record, with a runway of its own again.
    await reopened.append(sampleLeaf(301));
    expect(sizeOf(image)).toBe(end + recordBytes([sampleLeaf(301)]) + RUNWAY_BYTES);
  });
});
