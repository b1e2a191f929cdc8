import type { Context } from 'hono';
import { GatewayError } from '../../errors.js';
import { eventSchema } from '../../events/event-schema.js';
import { acceptEvent } from '../../events/event-validator.js';
import { decideEvent } from '../../gateway/decide-event.js';
import type { GatewayEnv } from '../env.js';
import type { HttpDeps } from '../http-deps.js';
import { allowAnswerBytes } from '../allow-answer.js';
import { jsonAnswer, jsonBytesAnswer } from '../json-answer.js';
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
    const { raw, bodySha256, replay, policy } = c.get('signed');
    const event = parseJsonBody(eventSchema, raw.header('content-type'), raw.body, acceptEvent);
    const decided = await decideEvent(deps.ports, {
      clientId: c.get('client').id,
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
        return jsonBytesAnswer(c, allowAnswerBytes(decided.id, decided.policy, decided.audit), 200);
      case 'pending':
        return jsonAnswer(
          c,
          {
            decision: 'pending',
            id: decided.id,
            policy: decided.policy,
            deploy: pendingDeployAnswer(decided.deploy, deps.nowMs()),
            audit: decided.audit,
          },
          202,
        );
    }
  };
}
