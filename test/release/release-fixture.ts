import path from 'node:path';
import { decisionEntry, policyEntry } from '../../src/audit/entry.js';
import { loadOrCreateLogKey } from '../../src/audit/log-key.js';
import { openFileAudit } from '../../src/audit/open-file-audit.js';
import { parseCheckpointText } from '../../src/audit/checkpoint.js';
import {
  generateEd25519KeyPair,
  randomId,
  sha256Hex,
  signEd25519,
  toHex,
} from '../../src/crypto/index.js';
import { buildApprovalMessage } from '../../src/quorum/approval-message.js';
import { unixSecondsToRfc3339 } from '../../src/quorum/deploy-state.js';
import { createReleaseSigner, envelopeText } from '../../src/release/release-attestation.js';
import {
  buildReleaseStatement,
  type ReleaseStatement,
  type ReleaseVote,
} from '../../src/release/release-statement.js';
import { canonicalBytes } from '../../src/audit/jcs.js';
import { noteVerifier } from '../../src/audit/checkpoint.js';
import { tempDir } from '../helpers/credentials.js';

export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array };

/** A policy document with a 2-of-3 deploy quorum over `keys`. */
export function releasePolicyDoc(
  keys: ReadonlyMap<string, KeyPair>,
  quorum: { action?: string; threshold?: number; approvers?: string[] } = {},
): Record<string, unknown> {
  return {
    version: 1,
    clients: { 'ci-main': { actions: ['build', 'deploy'] } },
    approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
    quorum: {
      [quorum.action ?? 'deploy']: {
        threshold: quorum.threshold ?? 2,
        approvers: quorum.approvers ?? ['alice', 'bob', 'carol'],
        ttlSeconds: 900,
      },
    },
  };
}

/**
 * A real release attestation, built the way the gateway builds one: a real file-backed
 * audit log (with a few earlier entries), a real `allow` decision entry for the deploy, the
 * log's signed checkpoint and inclusion proof, votes by `alice` and `bob`, and the DSSE
 * envelope signed with the log's key. `resign` signs any altered statement with the same
 * log key (a tampered payload that still carries a valid signature).
 */
export async function releaseFixture() {
  const dir = tempDir('codex-release-');
  const audit = await openFileAudit({
    dataDir: dir,
    logOrigin: 'test.example/log',
    logKeyFile: undefined,
  });
  const logKey = await loadOrCreateLogKey(path.join(dir, 'audit-log.key'));
  const keys = new Map<string, KeyPair>(
    ['alice', 'bob', 'carol'].map((n) => [n, generateEd25519KeyPair()]),
  );
  const policyText = JSON.stringify(releasePolicyDoc(keys), null, 2);
  const revision = `sha256:${sha256Hex(policyText)}`;
  const artifact = `sha256:${sha256Hex('the artifact ' + randomId())}`;
  const expires = Math.floor(Date.now() / 1000) + 900;
  const deploy = {
    id: randomId(),
    action: 'deploy',
    target: 'acme/web',
    environment: 'prod',
    artifact,
    request: `sha256:${sha256Hex('{"action":"deploy"}')}`,
    policy: revision,
    expiresAt: unixSecondsToRfc3339(expires),
    message: '',
  };
  deploy.message = buildApprovalMessage({ ...deploy, deploy: deploy.id, expires });
  const vote = (name: string, message = deploy.message): ReleaseVote => {
    const key = keys.get(name)!;
    return {
      approver: name,
      publicKey: toHex(key.publicKey),
      signature: toHex(signEd25519(new TextEncoder().encode(message), key.secretKey)),
    };
  };
  for (let i = 0; i < 5; i++)
    await audit.service.append(policyEntry({ nowMs: Date.now(), id: randomId(), revision }));
  const decisionId = randomId();
  const receipt = await audit.service.append(
    decisionEntry({
      nowMs: Date.now(),
      id: decisionId,
      client: 'ci-main',
      action: deploy.action,
      target: deploy.target,
      decision: 'allow',
      reasons: [],
      policy: revision,
      request: deploy.request,
      deploy: deploy.id,
      approvers: ['alice', 'bob'],
    }),
  );
  await audit.service.append(policyEntry({ nowMs: Date.now(), id: randomId(), revision }));
  const checkpoint = await audit.service.checkpoint();
  const size = parseCheckpointText(checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1)).size;
  const inclusion = await audit.service.inclusion(receipt.index, size);
  const [entry] = await audit.service.entries(receipt.index, 1);
  const verifier = noteVerifier('test.example/log', logKey.publicKey);
  const signer = createReleaseSigner(verifier, logKey.secretKey);
  const statement = buildReleaseStatement({
    deploy,
    quorum: { threshold: 2, approvers: ['alice', 'bob', 'carol'] },
    approvals: [vote('alice'), vote('bob')],
    log: {
      origin: 'test.example/log',
      index: receipt.index,
      leafHash: receipt.leafHash,
      leaf: entry!.leaf,
      checkpoint,
      proof: inclusion.proof,
    },
  });
  const attestation = envelopeText(signer.sign(statement));
  return {
    dir,
    audit,
    keys,
    logKey,
    verifier,
    vkey: audit.service.key().vkey,
    policyText,
    artifact,
    deploy,
    statement,
    attestation,
    vote,
    /** Signs `s` (any JSON) with the log key, as the gateway would. */
    resign: (s: unknown): string =>
      envelopeText(
        createReleaseSigner(verifier, logKey.secretKey).sign(s as ReleaseStatement),
      ),
    /** Signs raw payload bytes (not canonicalised) with the log key. */
    canonical: (s: unknown) => canonicalBytes(s),
    close: () => audit.close(),
  };
}

export type ReleaseFixture = Awaited<ReturnType<typeof releaseFixture>>;
