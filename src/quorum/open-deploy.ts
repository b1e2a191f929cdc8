import { randomId } from '../crypto/index.js';
import type { GatewayEvent } from '../events/event-schema.js';
import type { QuorumRule } from '../policy/active-policy.js';
import { buildApprovalMessage, NO_VALUE } from './approval-message.js';
import type { PendingDeploy } from './pending-deploy.js';

/** What `openPendingDeploy` needs: the allowed event and the rule that holds it. */
export interface OpenPendingDeployInput {
  readonly decisionId: string;
  readonly clientId: string;
  readonly event: GatewayEvent;
  /** `sha256:<hex>` of the raw event request body. */
  readonly requestDigest: string;
  /** Revision the event was decided under, `sha256:<hex>`. */
  readonly policyRevision: string;
  readonly rule: QuorumRule;
  /** Milliseconds since the unix epoch. */
  readonly nowMs: number;
}

/**
 * Turns an allowed quorum event into a new pending deploy (docs/protocol.md §5). Pure apart from
 * the random id: the id is 128 CSPRNG bits, so it cannot be guessed; `expiresAt` is
 * `floor(now / 1000) + ttlSeconds`; the message is built from the server's own record.
 * A quorum action without a `deploy` block signs `-` for environment and artifact.
 * @throws RangeError when a field cannot be put in a message (never for a schema-valid event).
 */
export function openPendingDeploy(input: OpenPendingDeployInput): PendingDeploy {
  const { event, rule } = input;
  const id = randomId();
  const expiresAt = Math.floor(input.nowMs / 1000) + rule.ttlSeconds;
  const environment = event.deploy?.environment ?? NO_VALUE;
  const artifact = event.deploy?.artifact ?? NO_VALUE;
  const message = buildApprovalMessage({
    deploy: id,
    action: event.action,
    target: event.target,
    environment,
    artifact,
    request: input.requestDigest,
    policy: input.policyRevision,
    expires: expiresAt,
  });
  return {
    id,
    decisionId: input.decisionId,
    clientId: input.clientId,
    action: event.action,
    target: event.target,
    environment,
    artifact,
    request: input.requestDigest,
    policy: input.policyRevision,
    threshold: rule.threshold,
    approvers: [...rule.approvers],
    expiresAt,
    message,
    votes: [],
    approvedBy: [],
    state: 'pending',
    released: false,
  };
}
