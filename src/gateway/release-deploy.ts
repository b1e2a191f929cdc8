import type { AuditReceipt } from '../audit/audit-log.js';
import { GatewayError } from '../errors.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import { countedVotes } from '../quorum/count-votes.js';
import { freezeDeploy } from '../quorum/deploy-record.js';
import { currentQuorum } from '../quorum/decide-approval.js';
import type {
  ApprovalQuorum,
  PendingDeploy,
  Release,
  ReleaseClaim,
} from '../quorum/pending-deploy.js';
import { quorumAllowEntry } from './decision-entries.js';
import { guardStore } from './guard-store.js';
import { oweApprovedDeploy } from './owe-approved-deploy.js';
import { RELEASE_CLAIM_MS, type GatewayPorts } from './ports.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/**
 * Releasing an approved deploy (docs/protocol.md §5, §16: exactly ONE `allow` entry per deploy,
 * however many requests race). The right to append that entry is a claim the store hands
 * to one caller at a time, atomically (one event-loop turn in memory, one Lua script in
 * Redis):
 *
 * - the approval that completes the quorum claims it in the same atomic step that records
 *   the vote, so in the normal case it releases its own quorum;
 * - a quorum reached while the audit log failed is released later by whoever claims it
 *   next: the next approval of that deploy, or the next `GET /v1/deploys/:id` (that read
 *   never appends on its own account: it only completes the approver's release, under the
 *   same claim, so it is still exactly once). A claim whose holder failed is abandoned at
 *   once; one whose holder died lapses after RELEASE_CLAIM_MS.
 *
 * The deploy is shown `approved` only after `completeRelease`, i.e. after its `allow` entry
 * is durable. Remaining window (documented in docs/architecture.md): a holder that stalls
 * for longer than RELEASE_CLAIM_MS between its durable append and `completeRelease` could
 * let a second caller append again.
 */

/** A fresh claim for `ports`' clock. */
export function newClaim(ports: GatewayPorts): ReleaseClaim {
  return { token: ports.newId(), untilMs: ports.nowMs() + RELEASE_CLAIM_MS };
}

/**
 * Appends the `allow` decision of `deploy`, whose release the caller holds `claim` for,
 * then marks it released. On any failure the claim is abandoned (so the next caller may
 * retry at once) and the error propagates (503 for a store or log failure).
 */
export async function releaseClaimed(
  ports: GatewayPorts,
  deploy: PendingDeploy,
  claim: ReleaseClaim,
  quorum: ApprovalQuorum,
  policyRevision: string,
): Promise<{ deploy: PendingDeploy; decision: AuditReceipt }> {
  const approvals = countedVotes(deploy.votes, quorum);
  let decision: AuditReceipt;
  try {
    decision = await guardStore(() =>
      ports.audit.append(
        quorumAllowEntry({
          deploy,
          approvers: approvals.map((v) => v.approver),
          policyRevision,
          nowMs: ports.nowMs(),
        }),
      ),
    );
  } catch (err) {
    await abandonQuietly(ports, deploy.id, claim.token);
    throw err;
  }
  // The entry is durable: marking it must not be lost to a passing store hiccup (a command
  // timeout may even have applied it), or the claim would lapse and a later caller could
  // append a second allow. Marking is idempotent, so it is retried before giving up (503).
  const release: Release = {
    decision: { index: decision.index, leafHash: decision.leafHash },
    approvals,
  };
  const released = freezeDeploy({ ...deploy, released: true, ...release });
  // docs/protocol.md §11: the deploy.approved deliveries are durable before the release is marked
  // (and so before any approval or read is answered with `approved`). Recording them is
  // idempotent, so it is retried like the marking; if it still fails the answer is 503 and
  // the claim lapses (as when marking fails), so a later caller records and marks it.
  await retryDurable(() => oweApprovedDeploy(ports, released, quorum, decision, ports.nowMs()));
  await retryDurable(() => ports.deploys.completeRelease(deploy.id, claim.token, release));
  return { deploy: released, decision };
}

/** Delays between attempts to mark a durable release (ms); a few, well inside the claim. */
const COMPLETE_RETRY_MS = [50, 200, 1000] as const;

async function retryDurable(op: () => Promise<unknown>): Promise<void> {
  for (const delayMs of [...COMPLETE_RETRY_MS, undefined]) {
    try {
      await op();
      return;
    } catch (cause) {
      if (delayMs === undefined) throw new GatewayError('unavailable', { cause });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Drops `token`'s claim; a failure here only delays the retry until the claim lapses. */
export async function abandonQuietly(
  ports: GatewayPorts,
  id: string,
  token: string,
): Promise<void> {
  await ports.deploys.abandonRelease(id, token).catch(() => undefined);
}

/**
 * `deploy`, released first if its quorum was reached but its `allow` is not yet durable
 * and no one else is releasing it. Returns the deploy as it now stands; a failed release
 * rejects (503), so no reader is told anything the log cannot prove.
 */
export async function finishPendingRelease(
  ports: GatewayPorts,
  deploy: PendingDeploy,
  policy: ActivePolicy | undefined,
): Promise<PendingDeploy> {
  if (deploy.state !== 'approved' || deploy.released) return deploy;
  const claim = newClaim(ports);
  const outcome = await guardStore(() =>
    ports.deploys.claimRelease(deploy.id, claim, ports.nowMs()),
  );
  if (outcome === 'released')
    return (await guardStore(() => ports.deploys.get(deploy.id))) ?? deploy;
  // Someone else is releasing it (the view shows it pending until they are done), or it
  // is gone.
  if (outcome !== 'claimed') return deploy;
  const quorum = currentQuorum(policy, deploy.action) ?? recordedQuorum(deploy);
  const revision = policy?.revision ?? deploy.policy;
  return (await releaseClaimed(ports, deploy, claim, quorum, revision)).deploy;
}

/**
 * The quorum the deploy was opened with, with the keys its votes were made with: used
 * only when the current policy no longer has a rule for the action.
 */
function recordedQuorum(deploy: PendingDeploy): ApprovalQuorum {
  // A null-prototype map: an approver named `__proto__` is just a name.
  const keys = Object.create(null) as Record<string, string>;
  for (const vote of deploy.votes)
    if (!Object.hasOwn(keys, vote.approver)) keys[vote.approver] = vote.publicKey;
  return { threshold: deploy.threshold, approvers: deploy.approvers, keys };
}

/** The deploy ids the server issues: lowercase hex; anything else cannot exist. */

/** True when `id` could be a deploy id (no store lookup for anything else). */
export function isDeployId(id: string): boolean {
  return DEPLOY_ID.test(id);
}

/** Reads a deploy or throws 404 `unknown_deploy`; a store failure is 503. */
export async function loadDeploy(ports: GatewayPorts, id: string): Promise<PendingDeploy> {
  const found = isDeployId(id) ? await guardStore(() => ports.deploys.get(id)) : undefined;
  if (found === undefined) throw new GatewayError('unknown_deploy');
  return found;
}
