import { deployStateAt, unixSecondsToRfc3339 } from '../../quorum/deploy-state.js';
import type {
  ApprovalQuorum,
  DeployState,
  PendingDeploy,
  ReleaseDecision,
  Vote,
} from '../../quorum/pending-deploy.js';

/** The JSON shape of a deploy in `GET /v1/deploys/:id` and in approval answers (docs/protocol.md §5, §10). */
export interface DeployView {
  readonly id: string;
  readonly state: DeployState;
  readonly threshold: number;
  readonly approvers: readonly string[];
  readonly approvedBy: readonly string[];
  /** RFC 3339 UTC with milliseconds. */
  readonly expiresAt: string;
  readonly message: string;
  /** Approved deploys only: the votes that were counted, in order of acceptance (§10). */
  readonly approvals?: readonly Vote[];
  /** Approved deploys only: the audit entry of its `allow` decision (§10). */
  readonly decision?: ReleaseDecision;
}

/**
 * The public view of a deploy. `threshold` and `approvers` are the quorum the deploy is
 * counted against: pass the CURRENT policy's quorum (after a hot reload it is what
 * approvals are checked against); without it, the rule recorded when the deploy was opened
 * is shown. An approved deploy also shows the votes its release counted and its `allow`
 * entry, as recorded when the release became durable (later key rotations do not rewrite
 * history).
 */
export function deployView(
  deploy: PendingDeploy,
  nowMs: number,
  quorum?: ApprovalQuorum,
): DeployView {
  const state = deployStateAt(deploy, nowMs);
  const view: DeployView = {
    id: deploy.id,
    state,
    threshold: quorum?.threshold ?? deploy.threshold,
    approvers: [...(quorum?.approvers ?? deploy.approvers)],
    approvedBy: [...deploy.approvedBy],
    expiresAt: unixSecondsToRfc3339(deploy.expiresAt),
    message: deploy.message,
  };
  if (state !== 'approved' || deploy.decision === undefined || deploy.approvals === undefined)
    return view;
  return {
    ...view,
    approvals: deploy.approvals.map((v) => ({ ...v })),
    decision: { index: deploy.decision.index, leafHash: deploy.decision.leafHash },
  };
}

/** The `deploy` member of the 202 answer of `POST /v1/events` (docs/protocol.md §3). */
export function pendingDeployAnswer(
  deploy: PendingDeploy,
  nowMs: number,
): Omit<DeployView, 'approvedBy' | 'approvals' | 'decision'> {
  const {
    approvedBy: _approvedBy,
    approvals: _a,
    decision: _d,
    ...rest
  } = deployView(deploy, nowMs);
  return rest;
}
