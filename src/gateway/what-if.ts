import type { GatewayEvent } from '../events/event-schema.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import { answerOf, type PolicyAnswer } from '../policy/verdict.js';
import { NO_POLICY_REASON } from './decide-event.js';

/** `POST /v1/policy/evaluate`'s answer (docs/protocol.md §13). */
export interface WhatIfAnswer {
  readonly decision: PolicyAnswer['decision'];
  readonly reasons: readonly string[];
  /** The active revision, or null when no good policy was ever loaded (then: deny). */
  readonly policy: string | null;
  /** The candidate's answer, when a candidate policy is loaded. */
  readonly candidate?: PolicyAnswer;
}

/**
 * What the active policy (and the candidate, when loaded) would decide for `clientId` and
 * `event`, exactly as `POST /v1/events` decides, and nothing else: no audit entry, no
 * nonce, no rate, no pending deploy. Pure.
 */
export function whatIf(
  active: ActivePolicy | undefined,
  candidate: ActivePolicy | undefined,
  clientId: string,
  event: GatewayEvent,
): WhatIfAnswer {
  const main: WhatIfAnswer =
    active === undefined
      ? { decision: 'deny', reasons: [NO_POLICY_REASON], policy: null }
      : answerOf(active, clientId, event);
  return candidate === undefined
    ? main
    : { ...main, candidate: answerOf(candidate, clientId, event) };
}
