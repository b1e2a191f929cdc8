import type { GatewayEvent } from '../events/event-schema.js';
import type { ActivePolicy, EventFacts } from './active-policy.js';

/** What a policy answers for one event, as `POST /v1/events` would decide it (docs/protocol.md §3, §13). */
export interface PolicyAnswer {
  readonly decision: 'allow' | 'deny' | 'pending';
  /** Stable rule ids in evaluation order; empty unless the decision is `deny`. */
  readonly reasons: readonly string[];
  /** The revision that answered (`sha256:<hex>`). */
  readonly policy: string;
}

/**
 * The decision `policy` makes for `clientId` and `event`, with no side effect: deny with
 * its reasons, `pending` when the action needs a quorum, else allow. The same rule
 * decide-event.ts applies before it audits; used by `policy test`, the what-if route and
 * the candidate policy in the shadow, so all three answer exactly as the events route.
 * `facts` are what the caller proved about the event's text (ActivePolicy.evaluate).
 */
export function answerOf(
  policy: ActivePolicy,
  clientId: string,
  event: GatewayEvent,
  facts?: EventFacts,
): PolicyAnswer {
  const verdict = policy.evaluate(clientId, event, facts);
  if (verdict.decision === 'deny')
    return { decision: 'deny', reasons: verdict.reasons, policy: policy.revision };
  const pending = policy.quorumFor(event.action) !== undefined;
  return { decision: pending ? 'pending' : 'allow', reasons: [], policy: policy.revision };
}

/** True when two answers differ in decision or reasons (revisions are not compared). */
export function answersDiffer(a: PolicyAnswer, b: PolicyAnswer): boolean {
  return (
    a.decision !== b.decision ||
    a.reasons.length !== b.reasons.length ||
    a.reasons.some((r, i) => r !== b.reasons[i])
  );
}
