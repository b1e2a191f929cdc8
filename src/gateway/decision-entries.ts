import type { AuditEntry } from '../audit/audit-log.js';
import { approvalEntry, decisionEntry, type DecisionEntryInput } from '../audit/entry.js';
import { sha256Hex } from '../crypto/index.js';
import type { PendingDeploy, Vote } from '../quorum/pending-deploy.js';
import type { ApprovalSignatureFormat } from '../quorum/ssh-approval.js';
import { unixSecondsToRfc3339 } from '../quorum/deploy-state.js';

/**
 * Every audit entry the request path writes, built in ONE place (docs/protocol.md §6) from the
 * validating builders of audit/entry.ts. They carry digests and public values only: the
 * approval signature is public (anyone may re-verify it against the message and the
 * policy's key); no request body, header or secret ever enters an entry.
 */

/** The fields every decision about one event shares. */
export interface EventDecisionBase {
  /** Decision id returned to the client. */
  readonly id: string;
  readonly nowMs: number;
  readonly client: string;
  readonly action: string;
  readonly target: string;
  /** `sha256:<hex>` of the raw request body. */
  readonly request: string;
  /** `sha256:<hex>` of `client\nnonce` and the request timestamp (restart-proof replay check). */
  readonly nonce?: string | undefined;
  readonly timestamp?: number | undefined;
}

/**
 * The builder's input: `base`'s fields and the decision's. Named one by one, not with
 * `{ ...base, … }`: an object spread followed by more properties takes V8's slow generic
 * path (≈3 µs per entry measured, the largest part of building one; bench/README.md).
 */
function decisionInput(
  base: EventDecisionBase,
  decision: DecisionEntryInput['decision'],
  reasons: readonly string[],
  policy: string | null,
): DecisionEntryInput {
  return {
    id: base.id,
    nowMs: base.nowMs,
    client: base.client,
    action: base.action,
    target: base.target,
    request: base.request,
    nonce: base.nonce,
    timestamp: base.timestamp,
    decision,
    reasons,
    policy,
  };
}

/** A `deny` decision; `policy` is null when no valid policy was ever loaded. */
export function denyEntry(
  base: EventDecisionBase,
  reasons: readonly string[],
  policy: string | null,
): AuditEntry {
  return decisionEntry(decisionInput(base, 'deny', reasons, policy));
}

/** An `allow` decision for an event that needs no quorum. */
export function allowEntry(base: EventDecisionBase, policy: string): AuditEntry {
  return decisionEntry(decisionInput(base, 'allow', [], policy));
}

/**
 * The `pending` decision of an event held for a quorum: it records the quorum terms the
 * deploy was opened with, so an auditor can check the later release against them.
 */
export function pendingEntry(base: EventDecisionBase, deploy: PendingDeploy): AuditEntry {
  return decisionEntry({
    ...base,
    decision: 'pending',
    reasons: [],
    policy: deploy.policy,
    deploy: deploy.id,
    approvers: deploy.approvers,
    threshold: deploy.threshold,
    expiresAt: unixSecondsToRfc3339(deploy.expiresAt),
    message: `sha256:${sha256Hex(deploy.message)}`,
  });
}

/**
 * One accepted approval. `id` is fresh; `decision` links to the event's decision id;
 * `client` is the API client that submitted the approval (the approver is the key holder).
 * It records the signature as submitted (raw hex or SSH armor), its format and the
 * fingerprint of the policy key that verified it (docs/protocol.md §12).
 */
export function approvalAuditEntry(input: {
  id: string;
  client: string;
  deploy: PendingDeploy;
  vote: Vote;
  signatureFormat: ApprovalSignatureFormat;
  keyFingerprint: string;
  policyRevision: string;
  nowMs: number;
}): AuditEntry {
  const { deploy, vote } = input;
  return approvalEntry({
    nowMs: input.nowMs,
    id: input.id,
    decision: deploy.decisionId,
    deploy: deploy.id,
    client: input.client,
    approver: vote.approver,
    ...('sshSignature' in vote
      ? { sshSignature: vote.sshSignature }
      : { signature: vote.signature }),
    signatureFormat: input.signatureFormat,
    keyFingerprint: input.keyFingerprint,
    message: `sha256:${sha256Hex(deploy.message)}`,
    policy: input.policyRevision,
  });
}

/**
 * The final `allow` for a deploy whose quorum was reached. Its `id` is the decision id of
 * the event (the same decision, now resolved), `approvers` lists the counted approvers.
 */
export function quorumAllowEntry(input: {
  deploy: PendingDeploy;
  approvers: readonly string[];
  policyRevision: string;
  nowMs: number;
}): AuditEntry {
  const { deploy } = input;
  return decisionEntry({
    nowMs: input.nowMs,
    id: deploy.decisionId,
    client: deploy.clientId,
    action: deploy.action,
    target: deploy.target,
    decision: 'allow',
    reasons: [],
    policy: input.policyRevision,
    request: deploy.request,
    deploy: deploy.id,
    approvers: input.approvers,
  });
}
