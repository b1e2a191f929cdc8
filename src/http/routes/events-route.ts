import type { Context } from 'hono';
import { GatewayError } from '../../errors.js';
import { eventSchema } from '../../events/event-schema.js';
import { acceptEvent } from '../../events/event-validator.js';
import { decideEvent } from '../../gateway/decide-event.js';
import type { GatewayEnv, SignedRequest } from '../env.js';
import type { HttpDeps } from '../http-deps.js';
import { allowAnswerBytes } from '../allow-answer.js';
import { jsonAnswer } from '../json-answer.js';
import { parseJsonBody } from '../json-body.js';
import { jsonStringsArePrintableAscii } from '../../json/printable-ascii.js';
import { pendingDeployAnswer } from '../responses/deploy-view.js';

/**
 * `POST /v1/events` (docs/protocol.md §3), after the signed-request middleware ran §2 checks 1–6:
 * check 7 (the body's shape), then the decideEvent use case, then the answer (200 allow,
 * 202 pending, 403 policy_denied with the audited decision).
 */
export function eventsRoute(deps: HttpDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const answer = await answerEvent(deps, c.get('signed'), c.get('client').id);
    return jsonAnswer(c, answer.body, answer.status);
  };
}

/** The answer of `POST /v1/events` after checks 1–6: 200 or 202 with its JSON; refusals throw. */
export interface EventAnswer {
  readonly status: 200 | 202;
  readonly body: Buffer | string;
}

/** Check 7, the decision, and the answer's JSON (both the Hono route and the Node lane). */
export async function answerEvent(
  deps: HttpDeps,
  signed: SignedRequest,
  clientId: string,
): Promise<EventAnswer> {
  const { raw, bodySha256, replay, policy } = signed;
  const event = parseJsonBody(eventSchema, raw.header('content-type'), raw.body, acceptEvent);
  const decided = await decideEvent(deps.ports, {
    clientId,
    event,
    request: `sha256:${bodySha256}`,
    policy,
    replay,
    facts: { printableAscii: jsonStringsArePrintableAscii(raw.body) },
  });
  switch (decided.decision) {
    case 'deny':
      throw new GatewayError('policy_denied', {
        detail: `denied by ${decided.reasons.join(', ')}`,
        extras: {
          decision: 'deny',
          id: decided.id,
          policy: decided.policy,
          reasons: decided.reasons,
          audit: decided.audit,
        },
      });
    case 'allow':
      return { status: 200, body: allowAnswerBytes(decided.id, decided.policy, decided.audit) };
    case 'pending':
      return {
        status: 202,
        body: JSON.stringify({
          decision: 'pending',
          id: decided.id,
          policy: decided.policy,
          deploy: pendingDeployAnswer(decided.deploy, deps.nowMs()),
          audit: decided.audit,
        }),
      };
  }
}
