import type { ApprovalQuorum, DeployState, PendingDeploy } from './pending-deploy.js';

/** The JSON shape of a deploy in `GET /v1/deploys/:id` and in the 202 of `POST /v1/events`. */
export interface DeployView {
  readonly id: string;
  readonly state: DeployState;
  readonly threshold: number;
  readonly approvers: readonly string[];
  readonly approvedBy: readonly string[];
  /** RFC 3339 UTC with milliseconds. */
  readonly expiresAt: string;
  readonly message: string;
}

/**
 * The state a reader sees: `approved` is final, and shown only once the release is audited
 * (`released`); a deploy that is not approved is `expired` once the clock is past
 * `expiresAt` (at `expiresAt` itself it is still pending).
 */
export function deployStateAt(deploy: PendingDeploy, nowMs: number): DeployState {
  if (deploy.state === 'approved') return deploy.released ? 'approved' : 'pending';
  return nowMs > deploy.expiresAt * 1000 ? 'expired' : 'pending';
}

/** Unix seconds as RFC 3339 UTC with milliseconds. */
export function unixSecondsToRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/**
 * The public view of a deploy (PROTOCOL §5). `threshold` and `approvers` are the quorum the
 * deploy is counted against: pass the CURRENT policy's rule as `quorum` (after a hot reload
 * it is what approvals are checked against); without it, the rule recorded when the deploy
 * was opened is shown.
 */
export function deployView(
  deploy: PendingDeploy,
  nowMs: number,
  quorum?: ApprovalQuorum,
): DeployView {
  return {
    id: deploy.id,
    state: deployStateAt(deploy, nowMs),
    threshold: quorum?.threshold ?? deploy.threshold,
    approvers: [...(quorum?.approvers ?? deploy.approvers)],
    approvedBy: [...deploy.approvedBy],
    expiresAt: unixSecondsToRfc3339(deploy.expiresAt),
    message: deploy.message,
  };
}

/** The `deploy` member of the 202 answer of `POST /v1/events` (PROTOCOL §3). */
export function pendingDeployAnswer(
  deploy: PendingDeploy,
  nowMs: number,
): Omit<DeployView, 'approvedBy'> {
  const { approvedBy: _approvedBy, ...rest } = deployView(deploy, nowMs);
  return rest;
}
