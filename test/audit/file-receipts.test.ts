import { existsSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointHeadSigner,
  noteVerifier,
  verifyCheckpoint,
} from '../../src/audit/checkpoint.js';
import { sampleDecision } from './audit-stack.js';
import type { MerkleLogStore, StoredLeaf } from '../../src/audit/log-store.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { openFileAudit } from '../../src/audit/open-file-audit.js';
import { OFFSET_BYTES, readOffset } from '../../src/audit/storage/batch-limits.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { HEAD_FILE, HEAD_SLOT_BYTES } from '../../src/audit/storage/head-file.js';
import { storedHashCount } from '../../src/audit/storage/tlog-layout.js';
import { generateEd25519KeyPair, sha256, toHex } from '../../src/crypto/index.js';
import { sampleLeaf, tempDir } from './fixtures/temp-log.js';

/**
 * docs/protocol.md §9 in the file driver: every append resolves with a signed checkpoint (one per
 * group-commit batch, durable in head.bin with the batch) and the inclusion proof in it,
 * and acknowledged entries cut from the files are refused at the next open.
 */
const ORIGIN = 'test.example/file-receipts';

describe('file log receipts', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: MerkleLogStore | undefined;
  const key = generateEd25519KeyPair();
  const verifier = noteVerifier(ORIGIN, key.publicKey);
  const signer = checkpointHeadSigner(verifier, key.secretKey);
  const open = async (opts = {}) => (store = await openFileLogStore(tmp.dir, { signer, ...opts }));
  const reopen = async () => {
    await store?.close();
    store = undefined;
    return open();
  };
  const expectReceipt = (leaf: Uint8Array, r: StoredLeaf) => {
    const cp = verifyCheckpoint(r.checkpoint!.note, verifier);
    expect(cp.size).toBeGreaterThan(r.index);
    expect(cp.size).toBe(r.checkpoint!.size);
    expect(verifyInclusion(leafHash(leaf), r.index, cp.size, r.proof!, cp.root)).toBe(true);
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp.remove();
  });

  // Both places a batch's fdatasyncs can run (storage/flusher.ts): the libuv pool, and the
  // event loop itself, where `auto` puts them in a process with one CPU.
  for (const flush of ['pool', 'inline'] as const)
    it(`resolves every append with a verifying receipt, signing once per batch (${flush} flushes)`, async () => {
      const s = await open({ flush });
      const leaves = Array.from({ length: 300 }, (_, i) => sampleLeaf(i));
      const receipts = await Promise.all(leaves.map((l) => s.append(l)));
      receipts.forEach((r, i) => expectReceipt(leaves[i]!, r));
      const notes = new Set(receipts.map((r) => r.checkpoint!.note));
      // 300 concurrent appends go out in a few group-commit batches, one signature each.
      expect(notes.size).toBeLessThan(receipts.length / 4);
      // Every receipt's checkpoint is consistent with the current head.
      const head = await s.latest!();
      expect(head.size).toBe(300);
      for (const r of receipts) {
        const cp = r.checkpoint!;
        const proof = cp.size === head.size ? [] : await s.consistencyProof(cp.size, head.size);
        expect(verifyConsistency(cp.size, head.size, proof, cp.root, head.root)).toBe(true);
      }
      // What was acknowledged is what a reopen finds, head and leaves.
      const again = await reopen();
      expect((await again.latest!()).note).toBe(head.note);
      for (const [i, r] of receipts.entries())
        expect(toHex(await again.leafHash(i))).toBe(toHex(r.leafHash));
    });

  it('a caller scribbling over the hashes of its receipts does not change the tree', async () => {
    const s = await open();
    const first = await Promise.all(Array.from({ length: 37 }, (_, i) => s.append(sampleLeaf(i))));
    for (const r of first) {
      r.leafHash.fill(0xee);
      for (const node of r.proof!) node.fill(0xee);
      r.checkpoint!.root.fill(0xee);
    }
    const head = await s.latest!();
    expect(verifyCheckpoint(head.note, verifier).root).toEqual(head.root);
    const later = Array.from({ length: 40 }, (_, i) => sampleLeaf(37 + i));
    const receipts = await Promise.all(later.map((l) => s.append(l)));
    receipts.forEach((r, i) => expectReceipt(later[i]!, r));
    await reopen(); // open() re-verifies the files against the last signed head
  });

  it('keeps the signed head across a reopen (head.bin)', async () => {
    await open();
    // A new log closed before its first append: head.bin holds one slot, the empty head.
    expect((await (await reopen()).latest!()).size).toBe(0);
    const s = await reopen();
    for (let i = 0; i < 5; i++) await s.append(sampleLeaf(i));
    const before = await s.latest!();
    const again = await reopen();
    const after = await again.latest!();
    expect(after.note).toBe(before.note);
    expectReceipt(sampleLeaf(5), await again.append(sampleLeaf(5)));
  });

  it('refuses to open when acknowledged entries were cut from the files', async () => {
    const s = await open();
    for (let i = 0; i < 10; i++) await s.append(sampleLeaf(i));
    await s.close();
    store = undefined;
    // A clean cut of the last 3 entries in all three files: the files alone look intact.
    const keep = 7;
    const offsets = readFileSync(join(tmp.dir, 'offsets.bin'));
    truncateSync(join(tmp.dir, 'entries.log'), readOffset(offsets.subarray(keep * OFFSET_BYTES)));
    truncateSync(join(tmp.dir, 'offsets.bin'), keep * OFFSET_BYTES);
    truncateSync(join(tmp.dir, 'hashes.bin'), storedHashCount(keep) * 32);
    await expect(open()).rejects.toThrow(
      /head\.bin signs 10 entries but the files hold 7 \(acknowledged entries were cut\)/,
    );
  });

  it('refuses a log whose head.bin was removed or emptied, and a forged head', async () => {
    const s = await open();
    for (let i = 0; i < 4; i++) await s.append(sampleLeaf(i));
    await s.close();
    store = undefined;
    const headPath = join(tmp.dir, HEAD_FILE);
    const saved = readFileSync(headPath);
    unlinkSync(headPath);
    await expect(open()).rejects.toThrow(/head\.bin is missing or empty but the log holds 4/);
    writeFileSync(headPath, saved);
    // A note with a correct checksum but another key's signature: written by someone else.
    const other = generateEd25519KeyPair();
    const forgedNote = checkpointHeadSigner(
      noteVerifier(ORIGIN, other.publicKey),
      other.secretKey,
    ).sign(2, new Uint8Array(32));
    const bytes = new TextEncoder().encode(forgedNote);
    const slot = Buffer.alloc(HEAD_SLOT_BYTES);
    slot.writeUInt32LE(bytes.length, 0);
    slot.set(sha256(bytes), 4);
    slot.set(bytes, 36);
    writeFileSync(headPath, Buffer.concat([slot, saved.subarray(HEAD_SLOT_BYTES)]));
    await expect(open()).rejects.toThrow(/head\.bin slot 0 does not verify/);
  });

  it('takes the previous head when the newest slot is torn (interrupted head write)', async () => {
    const s = await open();
    await s.append(sampleLeaf(0));
    await s.append(sampleLeaf(1));
    await s.close();
    store = undefined;
    const headPath = join(tmp.dir, HEAD_FILE);
    const buf = readFileSync(headPath);
    // Slot 0: empty head, slot 1: size 1, slot 0 again: size 2 (the newest). Tear it.
    buf[40] = (buf[40] ?? 0) ^ 0xff;
    writeFileSync(headPath, buf);
    const again = await open();
    // The files hold 2 leaves beyond the size-1 head: they are re-signed at open.
    expect((await again.latest!()).size).toBe(2);
    expectReceipt(sampleLeaf(2), await again.append(sampleLeaf(2)));
  });

  it('openFileAudit adopts a log written before receipts once, via its last signed head', async () => {
    const dataDir = tmp.dir;
    // A pre-receipt log: files without head.bin, the signed tree head in audit-checkpoint.json.
    const legacy = await openFileLogStore(join(dataDir, 'audit'));
    for (let i = 0; i < 3; i++) await legacy.append(sampleLeaf(i));
    writeFileSync(
      join(dataDir, 'audit-checkpoint.json'),
      JSON.stringify({ size: 3, root: toHex(await legacy.rootAt(3)) }) + '\n',
    );
    await legacy.close();
    const config = { dataDir, logOrigin: ORIGIN, logKeyFile: undefined };
    const audit = await openFileAudit(config);
    expect(existsSync(join(dataDir, 'audit', HEAD_FILE))).toBe(true);
    expect(existsSync(join(dataDir, 'audit-checkpoint.json'))).toBe(false);
    const r = await audit.service.append(sampleDecision(3));
    expect(r.index).toBe(3);
    expect(verifyCheckpoint(r.checkpoint, audit.logKey.verifier).size).toBe(4);
    await audit.close();
  });
});
