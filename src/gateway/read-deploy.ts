import type { ActivePolicy } from '../policy/active-policy.js';
import { currentQuorum } from '../quorum/decide-approval.js';
import type { ApprovalQuorum, PendingDeploy } from '../quorum/pending-deploy.js';
import type { GatewayPorts } from './ports.js';
import { finishPendingRelease, loadDeploy } from './release-deploy.js';

/** A deploy as a reader sees it, and the quorum it is counted against now. */
export interface DeployReading {
  readonly deploy: PendingDeploy;
  /** The CURRENT policy's quorum for the deploy's action; undefined without one. */
  readonly quorum: ApprovalQuorum | undefined;
}

/**
 * `GET /v1/deploys/:id` (docs/protocol.md §5, §10). Reads the deploy; if its quorum was reached
 * but the release failed earlier (the log was down), completes that release under the
 * store's claim (release-deploy.ts: still exactly one `allow`). Throws 404
 * `unknown_deploy`, or 503 when a store or the log fails.
 */
export async function readDeploy(
  ports: GatewayPorts,
  id: string,
  policy: ActivePolicy | undefined,
): Promise<DeployReading> {
  const found = await loadDeploy(ports, id);
  const deploy = await finishPendingRelease(ports, found, policy);
  return { deploy, quorum: currentQuorum(policy, deploy.action) };
}
