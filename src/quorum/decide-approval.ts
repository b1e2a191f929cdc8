import { fromHex, verifyEd25519 } from '../crypto/index.js';
import type { ErrorCode } from '../errors.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import type { ApprovalRequest } from './approval-request.js';
import { deployStateAt } from './deploy-view.js';
import type { ApprovalQuorum, PendingDeploy } from './pending-deploy.js';

/** Outcome of the checks that run before an approval is recorded. */
export type ApprovalCheck =
  | { readonly ok: true; readonly quorum: ApprovalQuorum; readonly policyRevision: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

const encoder = new TextEncoder();

/**
 * Decides whether an approval may be recorded (PROTOCOL §5), in this order:
 * unknown deploy → 404; approved → `deploy_closed`; past `expiresAt` → `deploy_expired`;
 * approver not in the CURRENT policy's quorum for the deploy's action, or without a key →
 * `unknown_approver`; signature not valid over the STORED message → `invalid_approval`.
 *
 * Pure and bounded: exactly one strict RFC 8032 verification per call, over a message the
 * server built itself; the signature was already shape-checked by the request schema and
 * `verifyEd25519` never throws, so a malformed signature is invalid, never a crash.
 * Using the current policy (not the one recorded at creation) means a hot reload that
 * removes an approver or changes the threshold takes effect for pending deploys too.
 */
export function checkApproval(
  deploy: PendingDeploy | undefined,
  request: ApprovalRequest,
  policy: ActivePolicy | undefined,
  nowMs: number,
): ApprovalCheck {
  if (deploy === undefined) return refuse('unknown_deploy', 'no such deploy');
  // The stored state, not the reader's view: a reached quorum closes the deploy even
  // before its release is audited.
  if (deploy.state === 'approved') return refuse('deploy_closed', 'deploy is already approved');
  if (deployStateAt(deploy, nowMs) === 'expired')
    return refuse('deploy_expired', 'deploy has expired');
  const rule = policy?.quorumFor(deploy.action);
  const key = policy?.approverKey(request.approver);
  if (
    policy === undefined ||
    rule === undefined ||
    !rule.approvers.includes(request.approver) ||
    key === undefined
  )
    return refuse('unknown_approver', 'approver is not in the quorum for this deploy');
  if (!verifyEd25519(fromHex(request.signature), encoder.encode(deploy.message), key))
    return refuse('invalid_approval', 'signature does not verify for this approver and deploy');
  return {
    ok: true,
    quorum: { threshold: rule.threshold, approvers: [...rule.approvers] },
    policyRevision: policy.revision,
  };
}

function refuse(code: ErrorCode, detail: string): ApprovalCheck {
  return { ok: false, code, detail };
}
