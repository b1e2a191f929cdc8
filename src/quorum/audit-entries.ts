import type { AuditEntry } from '../audit/audit-log.js';
import { approvalEntry, decisionEntry } from '../audit/entry.js';
import { sha256Hex } from '../crypto/index.js';
import type { PendingDeploy } from './pending-deploy.js';

/**
 * Audit entries of the quorum (PROTOCOL §6), built with the validating builders of
 * audit/entry.ts. They carry digests and public values only: the approval signature is
 * public (anyone may re-verify it against the message digest and the policy's key), and
 * no request body or secret ever enters an entry.
 */

/**
 * One accepted approval. `id` is fresh; `decision` links to the event's decision id;
 * `client` is the API client that submitted the approval (the approver is the key holder).
 */
export function approvalAuditEntry(input: {
  id: string;
  client: string;
  deploy: PendingDeploy;
  approver: string;
  signature: string;
  policyRevision: string;
  nowMs: number;
}): AuditEntry {
  const { deploy } = input;
  return approvalEntry({
    nowMs: input.nowMs,
    id: input.id,
    decision: deploy.decisionId,
    deploy: deploy.id,
    client: input.client,
    approver: input.approver,
    signature: input.signature,
    message: `sha256:${sha256Hex(deploy.message)}`,
    policy: input.policyRevision,
  });
}

/**
 * The final `allow` for a deploy whose quorum was reached. Its `id` is the decision id of
 * the event (the same decision, now resolved), `approvers` lists the counted approvers.
 */
export function quorumAllowAuditEntry(input: {
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
