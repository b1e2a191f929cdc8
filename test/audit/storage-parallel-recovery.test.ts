import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditCorruptionError } from '../../src/audit/log-store.js';
import { rootOf } from '../../src/audit/merkle.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { closeLogFiles, openLogFiles } from '../../src/audit/storage/log-files.js';
import { RECORD_HEADER_BYTES } from '../../src/audit/storage/record-format.js';
import { type RecoveryOptions, recoverLog } from '../../src/audit/storage/recovery.js';
import { storedHashIndex } from '../../src/audit/storage/tlog-layout.js';
import { toHex } from '../../src/crypto/index.js';
import { memoryHashAt, sampleLeaf, tempDir } from './fixtures/temp-log.js';

// recoverLog checks records in blocks shared by the main thread (from the front) and the
// worker (from the back). Tiny blocks put many block seams inside a small log; each mode
// forces a different split, including the worker checking every block itself.
const N = 60;
const LEAVES = Array.from({ length: N }, (_, i) => sampleLeaf(i));
const recordStart = (i: number): number =>
  LEAVES.slice(0, i).reduce((sum, l) => sum + RECORD_HEADER_BYTES + l.length, 0);

const MODES: [string, RecoveryOptions][] = [
  ['inline, blocks of 10', { workerFromLeaves: Number.MAX_SAFE_INTEGER, blockLeaves: 10 }],
  ['worker helping, blocks of 5', { workerFromLeaves: 0, blockLeaves: 5 }],
  ['worker taking every block', { workerFromLeaves: 0, blockLeaves: 4, mainTakesBlocks: false }],
];

describe.each(MODES)('recovering a log with record blocks (%s)', (_name, opts) => {
  let tmp: ReturnType<typeof tempDir>;
  const file = (name: string): string => join(tmp.dir, name);

  beforeEach(async () => {
    tmp = tempDir();
    const store = await openFileLogStore(tmp.dir);
    for (const leaf of LEAVES) await store.append(leaf);
    await store.close();
  });
  afterEach(() => tmp.remove());

  async function recover(): Promise<Awaited<ReturnType<typeof recoverLog>>> {
    const files = openLogFiles(tmp.dir);
    try {
      return await recoverLog(files, opts);
    } finally {
      closeLogFiles(files);
    }
  }

  async function refusal(): Promise<string> {
    const err = await recover().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditCorruptionError);
    return (err as Error).message;
  }

  function flip(name: string, position: number): void {
    const bytes = readFileSync(file(name));
    bytes[position] = (bytes[position] as number) ^ 0x04;
    writeFileSync(file(name), bytes);
  }

  it('verifies every record of an intact log', async () => {
    const state = await recover();
    expect(state.count).toBe(N);
    expect(state.entriesEnd).toBe(statSync(file('entries.log')).size);
    const store = await openFileLogStore(tmp.dir);
    expect(toHex(await store.rootAt(N))).toBe(toHex(rootOf(N, memoryHashAt(LEAVES))));
    await store.close();
  });

  it('names a damaged record deep inside the blocks', async () => {
    flip('entries.log', recordStart(41) + RECORD_HEADER_BYTES + 2);
    expect(await refusal()).toMatch(/entries\.log record 41 at byte \d+ is damaged/);
  });

  it('names a wrong offset, even one that starts a block', async () => {
    flip('offsets.bin', 8 * 20); // record 20 starts a block in every mode (10, 5, 4)
    expect(await refusal()).toMatch(/offsets\.bin entry 20 does not match/);
  });

  it('names a wrong stored leaf hash', async () => {
    flip('hashes.bin', storedHashIndex(0, 33) * 32 + 5);
    expect(await refusal()).toMatch(
      new RegExp(`hashes\\.bin hash #${storedHashIndex(0, 33)} \\(leaf 33\\)`),
    );
  });

  it('still cuts a torn tail after the blocks', async () => {
    appendFileSync(file('entries.log'), Buffer.from([9, 0, 0, 0, 1, 2]));
    const state = await recover();
    expect(state.count).toBe(N);
    expect(statSync(file('entries.log')).size).toBe(recordStart(N));
  });

  it('checks records beyond the stored hashes sequentially and rebuilds their hashes', async () => {
    truncateSync(file('hashes.bin'), storedHashIndex(0, 23) * 32);
    truncateSync(file('offsets.bin'), 8 * 30);
    const state = await recover();
    expect(state.count).toBe(N);
    const store = await openFileLogStore(tmp.dir);
    expect(toHex(await store.rootAt(N))).toBe(toHex(rootOf(N, memoryHashAt(LEAVES))));
    await store.close();
  });
});

describe('recovering a log whose offsets.bin points a block at an identical earlier record', () => {
  // Leaves 3 and 8 are byte-identical, so a block that starts at record 3's bytes instead of
  // record 8's verifies on its own: only the seam with the block before it exposes the lie.
  const leaves = Array.from({ length: 12 }, (_, i) => sampleLeaf(i === 8 ? 3 : i));
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    tmp = tempDir();
    const store = await openFileLogStore(tmp.dir);
    for (const leaf of leaves) await store.append(leaf);
    await store.close();
  });
  afterEach(() => tmp.remove());

  it('refuses it, naming the offset', async () => {
    const offsets = readFileSync(join(tmp.dir, 'offsets.bin'));
    offsets.copy(offsets, 8 * 8, 8 * 3, 8 * 4); // offset of record 8 := offset of record 3
    writeFileSync(join(tmp.dir, 'offsets.bin'), offsets);
    const files = openLogFiles(tmp.dir);
    try {
      const opts = { workerFromLeaves: 0, blockLeaves: 1, mainTakesBlocks: false };
      await expect(recoverLog(files, opts)).rejects.toThrow(/offsets\.bin entry 8 does not match/);
    } finally {
      closeLogFiles(files);
    }
  });
});
