import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointHeadSigner, noteVerifier } from '../../../src/audit/checkpoint.js';
import type { MerkleLogStore, SignedHead } from '../../../src/audit/log-store.js';
import {
  AuditRestoredError,
  SEEN_HEAD_FILE,
  SeenHeadRecorder,
  checkAgainstSeen,
  loadSeenHead,
} from '../../../src/audit/postgres/seen-head.js';
import { openFileLogStore } from '../../../src/audit/storage/file-log-store.js';
import { generateEd25519KeyPair } from '../../../src/crypto/index.js';
import { sampleLeaf, tempDir } from '../fixtures/temp-log.js';

/**
 * The seen-head memory of a PostgreSQL instance (seen-head.ts) on its own: the file is
 * written crash-safely and only ever moves forward; a file from another key is refused;
 * the start-up check refuses an older or forked head and accepts one that extends it.
 * (pg-restore.e2e.test.ts runs the whole story against a real database.)
 */
const ORIGIN = 'test.example/seen-head';
const signerOf = (key = generateEd25519KeyPair()) =>
  checkpointHeadSigner(noteVerifier(ORIGIN, key.publicKey), key.secretKey);

describe('seen head', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: MerkleLogStore;
  const signer = signerOf();
  const heads: SignedHead[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    store = await openFileLogStore(join(tmp.dir, 'log'), { signer });
    heads.length = 0;
    // One append at a time: one signed head per size 1..6.
    for (let i = 0; i < 6; i++) heads.push((await store.append(sampleLeaf(i))).checkpoint!);
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  it('records only newer heads, coalesced, in a 0600 file with no temp file left', async () => {
    const file = join(tmp.dir, SEEN_HEAD_FILE);
    expect(await loadSeenHead(file, signer)).toBeUndefined();
    const rec = new SeenHeadRecorder(file, undefined);
    rec.saw(heads[2]!);
    rec.saw(heads[4]!);
    rec.saw(heads[3]!); // older than one already seen: ignored
    await rec.flush();
    expect(readFileSync(file, 'utf8')).toBe(heads[4]!.note);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    rec.saw(heads[1]!);
    await rec.flush();
    expect((await loadSeenHead(file, signer))?.size).toBe(heads[4]!.size);
  });

  it('refuses a file holding a checkpoint of another key', async () => {
    const file = join(tmp.dir, SEEN_HEAD_FILE);
    const other = signerOf();
    writeFileSync(file, other.sign(3, heads[2]!.root), { mode: 0o600 });
    await expect(loadSeenHead(file, signer)).rejects.toThrow(
      /does not hold a checkpoint signed by this log's key.*What to do/,
    );
  });

  it('accepts a head that extends the seen one, refuses an older or a forked one', async () => {
    const file = join(tmp.dir, SEEN_HEAD_FILE);
    const latest = heads[5]!;
    await expect(checkAgainstSeen(store, latest, heads[2]!, file)).resolves.toBeUndefined();
    await expect(checkAgainstSeen(store, latest, latest, file)).resolves.toBeUndefined();
    await expect(checkAgainstSeen(store, heads[1]!, heads[3]!, file)).rejects.toThrow(
      new RegExp(
        `has ${heads[1]!.size} entries but this instance saw a signed checkpoint of ${heads[3]!.size} entries.*What to do: restore the newest database backup`,
      ),
    );
    const forked = { ...heads[2]!, root: new Uint8Array(32).fill(7) };
    const err = await checkAgainstSeen(store, latest, forked, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditRestoredError);
    expect((err as Error).message).toMatch(/does not extend the checkpoint of 3 entries/);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});
