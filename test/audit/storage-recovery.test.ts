import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditCorruptionError } from '../../src/audit/log-store.js';
import { leafHash, rootOf, verifyInclusion } from '../../src/audit/merkle.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { RECORD_HEADER_BYTES } from '../../src/audit/storage/record-format.js';
import { toHex } from '../../src/crypto/index.js';
import { memoryHashAt, sampleLeaf, tempDir } from './fixtures/temp-log.js';

const N = 40;
const LEAVES = Array.from({ length: N }, (_, i) => sampleLeaf(i));
const HEADER = RECORD_HEADER_BYTES; // u32 length, 32-byte leaf hash, 0x00 prefix

/** Byte offset of record i in entries.log, from the known leaf lengths. */
const recordStart = (i: number): number =>
  LEAVES.slice(0, i).reduce((sum, l) => sum + HEADER + l.length, 0);

function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    const b = readFileSync(path).subarray(position, position + 1);
    writeSync(fd, Buffer.from([(b[0] as number) ^ 0x20]), 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

function record(leaf: Uint8Array, hash = leafHash(leaf)): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(leaf.length, 0);
  head.set(hash, 4);
  return Buffer.concat([head, leaf]);
}

describe.each([
  ['inline', Number.MAX_SAFE_INTEGER],
  ['on a worker thread', 0],
])('opening a log after a crash or damage (tree check %s)', (_mode, workerFrom) => {
  const open = (dir: string): ReturnType<typeof openFileLogStore> =>
    openFileLogStore(dir, { verifyInWorkerFromLeaves: workerFrom });
  let tmp: ReturnType<typeof tempDir>;
  let file: (name: string) => string;
  let sizes: Record<string, number>;
  beforeEach(async () => {
    tmp = tempDir();
    file = (name) => join(tmp.dir, name);
    const store = await open(tmp.dir);
    for (const leaf of LEAVES) await store.append(leaf);
    await store.close();
    sizes = Object.fromEntries(
      ['entries.log', 'hashes.bin', 'offsets.bin'].map((n) => [n, statSync(file(n)).size]),
    );
  });
  afterEach(() => tmp.remove());

  async function reopenExpectingAll(): Promise<void> {
    const store = await open(tmp.dir);
    try {
      expect(store.size()).toBe(N);
      const root = await store.rootAt(N);
      expect(toHex(root)).toBe(toHex(rootOf(N, memoryHashAt(LEAVES))));
      const proof = await store.inclusionProof(N - 1, N);
      expect(verifyInclusion(leafHash(LEAVES[N - 1] as Uint8Array), N - 1, N, proof, root)).toBe(
        true,
      );
      expect((await store.append(sampleLeaf(N))).index).toBe(N);
    } finally {
      await store.close();
    }
  }

  async function expectRefusal(pattern: RegExp): Promise<void> {
    const err = await open(tmp.dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuditCorruptionError);
    const message = (err as Error).message;
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  }

  describe('when the entries file ends in a torn tail', () => {
    it('cuts a partial record header', async () => {
      appendFileSync(file('entries.log'), Buffer.from([7, 0, 0]));
      await reopenExpectingAll();
      expect(statSync(file('entries.log')).size).toBe(
        (sizes['entries.log'] as number) + HEADER + sampleLeaf(N).length,
      );
    });

    it('cuts a record whose body was only partly written', async () => {
      appendFileSync(file('entries.log'), record(sampleLeaf(500)).subarray(0, HEADER + 5));
      await reopenExpectingAll();
    });

    it('cuts random garbage', async () => {
      appendFileSync(
        file('entries.log'),
        Buffer.from('\xff\x13garbage that is not a record', 'latin1'),
      );
      await reopenExpectingAll();
    });

    it('cuts a complete last record whose checksum does not match, when nothing vouches for it', async () => {
      appendFileSync(file('entries.log'), record(sampleLeaf(500), leafHash(sampleLeaf(501))));
      await reopenExpectingAll();
    });

    it('cuts half-written hashes and offsets beyond the last record', async () => {
      appendFileSync(file('entries.log'), Buffer.from([1, 2]));
      appendFileSync(file('hashes.bin'), Buffer.alloc(17, 1));
      appendFileSync(file('offsets.bin'), Buffer.alloc(3, 1));
      await reopenExpectingAll();
    });
  });

  describe('when a complete record was written but its hashes and offset were not', () => {
    it('keeps the record and recomputes the hashes and offset', async () => {
      const extra = sampleLeaf(12345);
      appendFileSync(file('entries.log'), record(extra));
      const store = await open(tmp.dir);
      try {
        expect(store.size()).toBe(N + 1);
        expect(toHex(await store.leaf(N))).toBe(toHex(extra));
        expect(toHex(await store.rootAt(N + 1))).toBe(
          toHex(rootOf(N + 1, memoryHashAt([...LEAVES, extra]))),
        );
      } finally {
        await store.close();
      }
      // Reopening again verifies the rebuilt hashes against the entries.
      const again = await open(tmp.dir);
      expect(again.size()).toBe(N + 1);
      await again.close();
    });
  });

  describe('when stored data was altered', () => {
    it('refuses a flipped byte in a leaf in the middle of the entries file', async () => {
      flipByte(file('entries.log'), recordStart(17) + HEADER + 3);
      await expectRefusal(/entries\.log record 17/);
    });

    it('refuses a flipped byte in a record length in the middle', async () => {
      flipByte(file('entries.log'), recordStart(9) + 1);
      await expectRefusal(/entries\.log record 9/);
    });

    it('refuses a changed 0x00 leaf prefix byte in a record', async () => {
      flipByte(file('entries.log'), recordStart(11) + HEADER - 1);
      await expectRefusal(/entries\.log record 11/);
    });

    it('refuses a flipped byte in a record checksum', async () => {
      flipByte(file('entries.log'), recordStart(20) + 10);
      await expectRefusal(/entries\.log record 20/);
    });

    it('refuses a flipped byte in the last record (its offset vouches for it)', async () => {
      flipByte(file('entries.log'), (sizes['entries.log'] as number) - 1);
      await expectRefusal(/entries\.log record 39/);
    });

    it('refuses a flipped byte in a leaf hash in hashes.bin', async () => {
      flipByte(file('hashes.bin'), 0);
      await expectRefusal(/hashes\.bin hash #0/);
    });

    it('refuses a flipped byte in an interior node hash in hashes.bin', async () => {
      // Hash #2 is the node over leaves 0 and 1 (written when leaf 1 completed it).
      flipByte(file('hashes.bin'), 2 * 32 + 31);
      await expectRefusal(/hashes\.bin hash #2/);
    });

    it('refuses a flipped byte in a level-2 node hash in hashes.bin', async () => {
      // Hash #6 is the node over leaves 0..3 (leaf 3 completed two subtrees).
      flipByte(file('hashes.bin'), 6 * 32);
      await expectRefusal(/hashes\.bin hash #6/);
    });

    it('refuses a flipped byte in offsets.bin', async () => {
      flipByte(file('offsets.bin'), 8 * 25);
      await expectRefusal(/offsets\.bin entry 25/);
    });

    it('refuses an entries file cut short of acknowledged records', async () => {
      truncateSync(file('entries.log'), recordStart(30));
      await expectRefusal(/entries\.log record 30 is missing/);
    });

    it('refuses to cut more than one batch worth of bad bytes', async () => {
      truncateSync(file('offsets.bin'), 0);
      truncateSync(file('hashes.bin'), 0);
      appendFileSync(file('entries.log'), Buffer.alloc(1, 0xff));
      appendFileSync(file('entries.log'), Buffer.alloc(25 * 1024 * 1024));
      await expectRefusal(/bytes follow/);
    });
  });

  describe('when a file is damaged while the log is open', () => {
    it('refuses to serve a record that no longer matches its checksum', async () => {
      const store = await open(tmp.dir);
      try {
        flipByte(file('entries.log'), recordStart(4) + HEADER);
        await expect(store.leaf(4)).rejects.toThrow(AuditCorruptionError);
        expect(toHex(await store.leaf(5))).toBe(toHex(LEAVES[5] as Uint8Array));
      } finally {
        await store.close();
      }
    });
  });
});
