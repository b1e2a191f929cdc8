import type { AuditReceipt } from '../audit/audit-log.js';
import { unixSecondsToRfc3339 } from '../quorum/deploy-state.js';
import type { ApprovalQuorum, PendingDeploy } from '../quorum/pending-deploy.js';
import { attestRelease } from './issue-attestation.js';
import { oweDeliveries, owesOn } from './owe-deliveries.js';
import type { GatewayPorts } from './ports.js';

/**
 * Records the `deploy.approved` deliveries of a deploy whose `allow` entry is durable
 * (docs/protocol.md §11), before its release is marked. The body carries the deploy's §10 view,
 * the release attestation (built and stored here, so the envelope delivered is the one
 * `GET /v1/deploys/<id>/attestation` serves afterwards) and the allow entry's receipt.
 * Does nothing when no target receives `deploy.approved` for the deploy's action.
 */
export async function oweApprovedDeploy(
  ports: GatewayPorts,
  deploy: PendingDeploy,
  quorum: ApprovalQuorum,
  decision: AuditReceipt,
  nowMs: number,
): Promise<void> {
  const deliveries = ports.deliveries;
  if (deliveries === undefined || !owesOn(deliveries, 'deploy.approved', deploy.action)) return;
  const attestation =
    deliveries.attestation === undefined
      ? undefined
      : (JSON.parse(await attestRelease(deliveries.attestation, deploy, quorum)) as unknown);
  await oweDeliveries(
    deliveries,
    {
      type: 'deploy.approved',
      decision: deploy.decisionId,
      client: deploy.clientId,
      action: deploy.action,
      target: deploy.target,
      request: deploy.request,
      // Kept with the deploy when it was opened; null for a deploy opened before a target
      // subscribed (the body still names the request digest).
      event: deploy.event ?? null,
      deploy: approvedView(deploy, quorum),
      ...(attestation !== undefined && { attestation }),
      audit: decision,
    },
    nowMs,
  );
}

/** The §5/§10 view of an approved, released deploy (what `GET /v1/deploys/<id>` shows). */
function approvedView(deploy: PendingDeploy, quorum: ApprovalQuorum): Record<string, unknown> {
  return {
    id: deploy.id,
    state: 'approved',
    threshold: quorum.threshold,
    approvers: [...quorum.approvers],
    approvedBy: [...deploy.approvedBy],
    expiresAt: unixSecondsToRfc3339(deploy.expiresAt),
    message: deploy.message,
    approvals: (deploy.approvals ?? []).map((v) => ({ ...v })),
    ...(deploy.decision !== undefined && {
      decision: { index: deploy.decision.index, leafHash: deploy.decision.leafHash },
    }),
  };
}
