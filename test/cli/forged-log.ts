import { formatVkey, noteVerifier, signCheckpoint } from '../../src/audit/checkpoint.js';
import { canonicalize } from '../../src/audit/jcs.js';
import { leafHash } from '../../src/audit/merkle.js';
import { generateEd25519KeyPair, toHex } from '../../src/crypto/index.js';

/**
 * A one-entry audit log signed with a key the test holds: what a compromised gateway (which
 * has the real log key) can serve. Lets a hostile server answer with VALID checkpoints, so
 * the auditor gets past the signature check to the parts under test.
 */
export interface ForgedLog {
  /** The vkey to pass to `audit verify --vkey`. */
  readonly vkey: string;
  /** The signed checkpoint note of the one-entry tree. */
  readonly note: string;
  /** The entry view of `GET /v1/audit/entries/0` (and of a batch). */
  readonly entryView: { index: number; leafHash: string; leaf: string; entry: unknown };
}

/** A signing key shared by several forks of one log. */
export function logKey(origin = 'hostile.test/log') {
  const keys = generateEd25519KeyPair();
  const verifier = noteVerifier(origin, keys.publicKey);
  return { origin, keys, verifier, vkey: formatVkey(verifier) };
}

/** A one-entry tree holding `entry`, signed with `key`. */
export function forgedLog(key: ReturnType<typeof logKey>, entry: unknown): ForgedLog {
  const leaf = canonicalize(entry);
  const hash = leafHash(new TextEncoder().encode(leaf));
  const note = signCheckpoint(
    { origin: key.origin, size: 1, root: hash },
    key.keys.secretKey,
    key.verifier,
  );
  return { vkey: key.vkey, note, entryView: { index: 0, leafHash: toHex(hash), leaf, entry } };
}

/** A plausible decision entry; `target` varies it (two forks differ in their entry). */
export function decisionEntry(target: string): Record<string, unknown> {
  return {
    v: 1,
    type: 'decision',
    time: '2026-11-26T12:00:00.000Z',
    id: 'e0',
    client: 'ci-main',
    action: 'build',
    target,
    decision: 'allow',
    reasons: [],
    policy: `sha256:${'01'.repeat(32)}`,
    request: `sha256:${'ef'.repeat(32)}`,
  };
}
