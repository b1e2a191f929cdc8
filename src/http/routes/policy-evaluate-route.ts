import type { Context } from 'hono';
import { whatIf } from '../../gateway/what-if.js';
import { policyEvaluateRequestSchema } from '../bodies.js';
import type { GatewayEnv } from '../env.js';
import type { HttpDeps } from '../http-deps.js';
import { parseJsonBody } from '../json-body.js';
import { readRawRequest } from '../raw-request.js';

/**
 * `POST /v1/policy/evaluate` (docs/protocol.md §13), behind key-only auth with scope `policy:test`
 * (route-table.ts): what the active policy, and the candidate when one is loaded, would
 * decide for a client and an event. Bounded like `POST /v1/events` (the same body limit,
 * read before parsing; the same evaluation budget) and with no side effect at all: key-only
 * auth takes no nonce and no rate, and the handler neither audits nor stores anything.
 */
export function policyEvaluateRoute(deps: HttpDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const raw = await readRawRequest(c, deps.bodyLimitBytes);
    const body = parseJsonBody(policyEvaluateRequestSchema, raw.header('content-type'), raw.body);
    // One snapshot of each policy for the whole request, as on the events route.
    const answer = whatIf(
      deps.policy.current(),
      deps.candidate?.current(),
      body.client,
      body.event,
    );
    c.header('cache-control', 'no-store');
    return c.json(answer, 200);
  };
}
