import type { AuditReceipt } from '../audit/audit-log.js';
import { GatewayError } from '../errors.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import { checkApproval, type ApprovalInput } from '../quorum/decide-approval.js';
import type { ApprovalQuorum, PendingDeploy } from '../quorum/pending-deploy.js';
import { approvalAuditEntry } from './decision-entries.js';
import { guardStore } from './guard-store.js';
import type { GatewayPorts } from './ports.js';
import {
  abandonQuietly,
  finishPendingRelease,
  isDeployId,
  newClaim,
  releaseClaimed,
} from './release-deploy.js';

/** An accepted approval: the deploy after it, and the durable audit entries it produced. */
export interface RecordedApproval {
  readonly deploy: PendingDeploy;
  /** The quorum the vote was counted against (the current policy's). */
  readonly quorum: ApprovalQuorum;
  /** The `approval` entry. */
  readonly audit: AuditReceipt;
  /** The `allow` entry, when this approval completed the quorum and released the deploy. */
  readonly decision?: AuditReceipt;
}

/**
 * `POST /v1/deploys/:id/approvals` after the edge authenticated the client and parsed the
 * body (docs/protocol.md §5, §12). In order: a quorum reached while the log was failing is
 * released first; the approval is checked against the CURRENT policy (checkApproval);
 * the vote, bound to the key that verified it, is recorded atomically; the approval is
 * audited; if the vote completed the quorum, this request holds the release claim and
 * appends the one `allow` decision. Resolves only once every entry it cites is durable.
 * Throws a GatewayError with the refusal's code (404, 403, 401, 409, 410) or 503.
 */
export async function recordApproval(
  ports: GatewayPorts,
  input: {
    readonly deployId: string;
    /** API client that submitted the approval. */
    readonly clientId: string;
    readonly approval: ApprovalInput;
    /** One policy snapshot for the whole request. */
    readonly policy: ActivePolicy | undefined;
  },
): Promise<RecordedApproval> {
  const { deployId: id, policy } = input;
  const found = isDeployId(id) ? await guardStore(() => ports.deploys.get(id)) : undefined;
  const deploy = found === undefined ? undefined : await finishPendingRelease(ports, found, policy);
  const check = checkApproval(deploy, input.approval, policy, ports.nowMs());
  if (!check.ok) throw new GatewayError(check.code, { detail: check.detail });

  const nowMs = ports.nowMs();
  const claim = newClaim(ports);
  const result = await guardStore(() =>
    ports.deploys.recordApproval(id, check.vote, nowMs, check.quorum, claim),
  );
  if (result.outcome !== 'recorded') throw new GatewayError(result.outcome);

  // The vote is recorded; if the log cannot take it the client gets 503 and a retry
  // answers 409 (the vote stays visible in GET): failing closed on the answer.
  let audit: AuditReceipt;
  try {
    audit = await guardStore(() =>
      ports.audit.append(
        approvalAuditEntry({
          id: ports.newId(),
          client: input.clientId,
          deploy: result.deploy,
          vote: check.vote,
          signatureFormat: check.signatureFormat,
          keyFingerprint: check.keyFingerprint,
          policyRevision: check.policyRevision,
          nowMs,
        }),
      ),
    );
  } catch (err) {
    if (result.releaseClaimed) await abandonQuietly(ports, id, claim.token);
    throw err;
  }
  if (!result.releaseClaimed) return { deploy: result.deploy, quorum: check.quorum, audit };
  const released = await releaseClaimed(
    ports,
    result.deploy,
    claim,
    check.quorum,
    check.policyRevision,
  );
  return { deploy: released.deploy, quorum: check.quorum, audit, decision: released.decision };
}
