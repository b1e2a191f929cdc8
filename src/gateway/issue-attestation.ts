import type { AuditReader } from '../audit/audit-service.js';
import { parseCheckpointText } from '../audit/checkpoint.js';
import { GatewayError } from '../errors.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import { deployStateAt, unixSecondsToRfc3339 } from '../quorum/deploy-state.js';
import type { AttestationStore } from '../release/attestation-store.js';
import { envelopeText, type ReleaseSigner } from '../release/release-attestation.js';
import { buildReleaseStatement } from '../release/release-statement.js';
import type { ApprovalQuorum, PendingDeploy } from '../quorum/pending-deploy.js';
import { guardStore } from './guard-store.js';
import type { GatewayPorts } from './ports.js';
import { readDeploy } from './read-deploy.js';
import { isDeployId } from './release-deploy.js';

/** What issuing attestations needs besides the common ports. */
export interface AttestationPorts {
  /** Built envelopes, served byte for byte afterwards (first one stored wins). */
  readonly store: AttestationStore;
  /** The audit log's read side: checkpoint, entry and inclusion proof. */
  readonly log: Pick<AuditReader, 'checkpoint' | 'entries' | 'inclusion' | 'key'>;
  /** Signs with the audit log's key (DSSE keyid = the vkey's key id). */
  readonly signer: ReleaseSigner;
}

/**
 * `GET /v1/deploys/:id/attestation` (docs/protocol.md §10). Serves the stored envelope when there
 * is one (so it stays byte-identical, and outlives the deploy record); otherwise builds it
 * once for an approved deploy from the deploy record, its counted votes, its `allow`
 * entry's exact leaf, the current signed checkpoint and the inclusion proof at that
 * checkpoint's size, signs it with the log key and stores it. Throws 404
 * `unknown_deploy`, 409 `deploy_not_approved`, 503 when a store or the log fails.
 */
export async function issueAttestation(
  ports: GatewayPorts,
  release: AttestationPorts,
  id: string,
  policy: ActivePolicy | undefined,
): Promise<string> {
  if (!isDeployId(id)) throw new GatewayError('unknown_deploy');
  const stored = await guardStore(() => release.store.get(id));
  if (stored !== undefined) return stored;
  const { deploy, quorum } = await readDeploy(ports, id, policy);
  if (deployStateAt(deploy, ports.nowMs()) !== 'approved')
    throw new GatewayError('deploy_not_approved', { detail: 'the deploy is not approved' });
  return attestRelease(release, deploy, quorum);
}

/**
 * Builds, signs and stores (first one stored wins) the attestation of a deploy whose
 * `allow` entry is durable (`deploy.decision` and `deploy.approvals` set), and returns the
 * stored text. Also used before the release is marked, for the `deploy.approved` delivery
 * body (docs/protocol.md §11), so the delivered envelope is byte for byte the one later served.
 */
export async function attestRelease(
  release: AttestationPorts,
  deploy: PendingDeploy,
  quorum: Pick<ApprovalQuorum, 'threshold' | 'approvers'> | undefined,
): Promise<string> {
  const { decision, approvals } = deploy;
  if (deploy.state !== 'approved' || decision === undefined || approvals === undefined)
    throw new GatewayError('deploy_not_approved', { detail: 'the deploy is not approved' });
  const id = deploy.id;

  const note = await guardStore(() => release.log.checkpoint());
  const size = parseCheckpointText(note.slice(0, note.indexOf('\n\n') + 1)).size;
  // The entry was durable before the deploy was shown approved, so the current tree
  // covers it; anything else is a broken log, not a client error.
  if (size <= decision.index)
    throw new GatewayError('unavailable', { detail: 'checkpoint does not cover the decision' });
  const [inclusion, entries] = await guardStore(() =>
    Promise.all([
      release.log.inclusion(decision.index, size),
      release.log.entries(decision.index, 1),
    ]),
  );
  const entry = entries[0];
  if (entry === undefined || entry.leafHash !== decision.leafHash)
    throw new GatewayError('unavailable', { detail: 'decision entry does not match the log' });

  const statement = buildReleaseStatement({
    // buildReleaseStatement copies only the fields of the statement's deploy record.
    deploy: { ...deploy, expiresAt: unixSecondsToRfc3339(deploy.expiresAt) },
    // Informational: a verifier applies its OWN policy's quorum (check 4).
    quorum: {
      threshold: quorum?.threshold ?? deploy.threshold,
      approvers: quorum?.approvers ?? deploy.approvers,
    },
    approvals,
    log: {
      origin: release.log.key().origin,
      index: decision.index,
      leafHash: decision.leafHash,
      leaf: entry.leaf,
      checkpoint: note,
      proof: inclusion.proof,
    },
  });
  const text = envelopeText(release.signer.sign(statement));
  return guardStore(() => release.store.putIfAbsent(id, text));
}
