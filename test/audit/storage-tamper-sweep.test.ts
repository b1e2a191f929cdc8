import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditCorruptionError } from '../../src/audit/log-store.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { RECORD_HEADER_BYTES } from '../../src/audit/storage/record-format.js';
import { checkInteriorHashes } from '../../src/audit/storage/tree-check.js';
import { storedHashIndex, trailingOnes } from '../../src/audit/storage/tlog-layout.js';
import { sampleLeaf, tempDir } from './fixtures/temp-log.js';

// Every stored byte region is altered once, in turn: open() must refuse each time and name
// the damaged item. (storage-recovery.test.ts covers the torn-tail cases and message shapes.)
const N = 100;
const LEAVES = Array.from({ length: N }, (_, i) => sampleLeaf(i));
const HASH = 32;
const INLINE = { verifyInWorkerFromLeaves: Number.MAX_SAFE_INTEGER };

const recordStart = (i: number): number =>
  LEAVES.slice(0, i).reduce((sum, l) => sum + RECORD_HEADER_BYTES + l.length, 0);

/** Stored hash positions of level-0 hashes (the rest are interior nodes). */
const leafHashPositions = new Set(Array.from({ length: N }, (_, i) => storedHashIndex(0, i)));

describe('opening a log with one altered byte anywhere in its stored data', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pristine: Record<string, Buffer>;
  const file = (name: string): string => join(tmp.dir, name);

  beforeAll(async () => {
    tmp = tempDir();
    const store = await openFileLogStore(tmp.dir, INLINE);
    for (const leaf of LEAVES) await store.append(leaf);
    await store.close();
    pristine = Object.fromEntries(
      ['entries.log', 'hashes.bin', 'offsets.bin'].map((n) => [n, readFileSync(file(n))]),
    );
  });
  afterAll(() => tmp.remove());

  /** Opens with `name` altered at `position` (then restores it); returns the refusal message. */
  async function refusalWith(name: string, position: number): Promise<string> {
    const original = pristine[name] as Buffer;
    const damaged = Buffer.from(original);
    damaged[position] = (damaged[position] as number) ^ 0x01;
    writeFileSync(file(name), damaged);
    try {
      const err = await openFileLogStore(tmp.dir, INLINE).then(
        async (store) => {
          await store.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(err, `${name} byte ${position}`).toBeInstanceOf(AuditCorruptionError);
      return (err as Error).message;
    } finally {
      writeFileSync(file(name), original);
    }
  }

  it('opens the undamaged log', async () => {
    const store = await openFileLogStore(tmp.dir, INLINE);
    expect(store.size()).toBe(N);
    await store.close();
  });

  it('refuses every altered stored hash, naming it', async () => {
    const count = (pristine['hashes.bin'] as Buffer).length / HASH;
    expect(count).toBe(storedHashIndex(0, N - 1) + 1 + trailingOnes(N - 1));
    for (let k = 0; k < count; k++) {
      const message = await refusalWith('hashes.bin', k * HASH + ((k * 7) % HASH));
      const why = leafHashPositions.has(k) ? 'entries\\.log' : 'the hashes below it';
      expect(message).toMatch(
        new RegExp(`hashes\\.bin hash #${k} \\(leaf \\d+\\) does not match ${why}`),
      );
    }
  });

  it('refuses every altered record (leaf byte and checksum byte), naming it', async () => {
    for (let i = 0; i < N; i++) {
      const start = recordStart(i);
      const body = RECORD_HEADER_BYTES + ((i * 13) % Math.max(1, (LEAVES[i] as Uint8Array).length));
      for (const at of [start + body, start + 4 + ((i * 5) % HASH)]) {
        expect(await refusalWith('entries.log', at)).toMatch(
          new RegExp(`entries\\.log record ${i} at byte ${start} is damaged`),
        );
      }
    }
  });

  it('refuses every altered offset, naming it', async () => {
    for (let i = 0; i < N; i++) {
      expect(await refusalWith('offsets.bin', i * 8 + (i % 6))).toMatch(
        new RegExp(`offsets\\.bin entry ${i} does not match`),
      );
    }
  });

  it('finds an altered interior hash when read in chunks smaller than a node and its children', () => {
    const size = statSync(file('hashes.bin')).size;
    const fd = openSync(file('hashes.bin'), 'r');
    try {
      expect(checkInteriorHashes(fd, size, N, HASH).badHash).toBeNull();
    } finally {
      closeSync(fd);
    }
    const interior = Array.from({ length: size / HASH }, (_, k) => k).filter(
      (k) => !leafHashPositions.has(k),
    );
    for (const k of interior) {
      const damaged = Buffer.from(pristine['hashes.bin'] as Buffer);
      damaged[k * HASH + 31] = (damaged[k * HASH + 31] as number) ^ 0x80;
      writeFileSync(file('hashes.bin'), damaged);
      const fd2 = openSync(file('hashes.bin'), 'r');
      try {
        expect(checkInteriorHashes(fd2, size, N, 3 * HASH).badHash).toBe(k);
      } finally {
        closeSync(fd2);
      }
    }
    writeFileSync(file('hashes.bin'), pristine['hashes.bin'] as Buffer);
  });
});
