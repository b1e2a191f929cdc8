import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditService } from '../../src/audit/audit-service.js';
import { checkpointHeadSigner, noteVerifier } from '../../src/audit/checkpoint.js';
import { CheckpointSigner } from '../../src/audit/checkpoint-signer.js';
import { FileSignedTreeHeadStore } from '../../src/audit/checkpoint-state-file.js';
import { decisionEntry } from '../../src/audit/entry.js';
import type { MerkleLogStore } from '../../src/audit/log-store.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { generateEd25519KeyPair, sha256Hex } from '../../src/crypto/index.js';

export const ORIGIN = 'test.example/audit';

/** A real audit stack (file store, state file, signer, service) in a fresh temp dir. */
export interface AuditStack {
  readonly dir: string;
  readonly store: MerkleLogStore;
  readonly signer: CheckpointSigner;
  readonly service: AuditService;
  readonly stateFile: string;
  readonly key: { secretKey: Uint8Array; publicKey: Uint8Array };
  close(): Promise<void>;
}

export async function openStack(
  dir = mkdtempSync(path.join(tmpdir(), 'codex-audit-')),
  key = generateEd25519KeyPair(),
): Promise<AuditStack> {
  const stateFile = path.join(dir, 'audit-checkpoint.json');
  const verifier = noteVerifier(ORIGIN, key.publicKey);
  // Signing store (docs/protocol.md §9): one head per batch in head.bin, receipts on every append.
  const store = await openFileLogStore(path.join(dir, 'audit'), {
    signer: checkpointHeadSigner(verifier, key.secretKey),
  });
  const signer = new CheckpointSigner(
    store,
    new FileSignedTreeHeadStore(stateFile),
    verifier,
    key.secretKey,
  );
  const service = new AuditService(store, signer, verifier);
  return { dir, store, signer, service, stateFile, key, close: () => store.close() };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A valid decision entry; `n` makes it distinct. */
export function sampleDecision(n: number) {
  return decisionEntry({
    nowMs: Date.UTC(2026, 10, 21) + n,
    id: `d${n}`,
    client: 'ci-main',
    action: n % 3 === 0 ? 'deploy' : 'build',
    target: `acme/web-${n}`,
    decision: n % 2 === 0 ? 'allow' : 'deny',
    reasons: n % 2 === 0 ? [] : ['max_steps'],
    policy: `sha256:${sha256Hex('policy')}`,
    request: `sha256:${sha256Hex(`body ${n}`)}`,
  });
}
