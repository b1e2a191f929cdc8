import { expect } from 'vitest';
import {
  type Checkpoint,
  checkpointHeadSigner,
  noteVerifier,
  verifyCheckpoint,
} from '../../../src/audit/checkpoint.js';
import type { StoredLeaf } from '../../../src/audit/log-store.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../../src/audit/merkle.js';
import {
  type PgLogStoreOptions,
  type PgLogStore,
  openPgLogStore,
} from '../../../src/audit/postgres/pg-log-store.js';
import { generateEd25519KeyPair } from '../../../src/crypto/index.js';

export const ORIGIN = 'test.example/pg-log';

/** One log identity (origin + key), shared by the "instances" of a test. */
export function logIdentity(origin = ORIGIN) {
  const key = generateEd25519KeyPair();
  const verifier = noteVerifier(origin, key.publicKey);
  return { origin, key, verifier, signer: checkpointHeadSigner(verifier, key.secretKey) };
}

export type LogIdentity = ReturnType<typeof logIdentity>;

/** Opens one "instance" (its own connection pool) of the log at `url`. */
export function openInstance(
  url: string,
  id: LogIdentity,
  extra: Partial<PgLogStoreOptions> = {},
): Promise<PgLogStore> {
  return openPgLogStore({
    url,
    signer: id.signer,
    origin: id.origin,
    publicKey: id.key.publicKey,
    ...extra,
  });
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Verified checkpoints per identity, by note text: a storm test holds thousands of receipts
 * citing a few hundred notes, and one Ed25519 verification per distinct note is as strict
 * as one per receipt (the same text under the same key verifies the same way) but keeps the
 * check inside the test's time bound.
 */
const verified = new WeakMap<LogIdentity, Map<string, Checkpoint>>();

function checkpointOf(id: LogIdentity, note: string): Checkpoint {
  let notes = verified.get(id);
  if (notes === undefined) verified.set(id, (notes = new Map()));
  let cp = notes.get(note);
  if (cp === undefined) notes.set(note, (cp = verifyCheckpoint(note, id.verifier)));
  return cp;
}

/** Checks a receipt on its own: signed note covers the index, proof leads to its root. */
export function expectValidReceipt(id: LogIdentity, leaf: Uint8Array, got: StoredLeaf): void {
  expect(Buffer.from(got.leafHash)).toEqual(Buffer.from(leafHash(leaf)));
  const note = got.checkpoint?.note;
  expect(note).toBeDefined();
  const cp = checkpointOf(id, note as string);
  expect(cp.size).toBeGreaterThan(got.index);
  expect(verifyInclusion(got.leafHash, got.index, cp.size, got.proof ?? [], cp.root)).toBe(true);
}

/** Every receipt's checkpoint is consistent with the store's current tree. */
export async function expectConsistentWith(
  store: PgLogStore,
  id: LogIdentity,
  receipts: StoredLeaf[],
) {
  const head = await store.latest();
  const seen = new Set<number>();
  for (const r of receipts) {
    const cp = checkpointOf(id, r.checkpoint?.note as string);
    if (seen.has(cp.size)) continue;
    seen.add(cp.size);
    const proof = await store.consistencyProof(cp.size, head.size);
    expect(verifyConsistency(cp.size, head.size, proof, cp.root, head.root)).toBe(true);
  }
}
