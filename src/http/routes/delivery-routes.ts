import type { Context } from 'hono';
import { DELIVERY_STATES, type DeliveryState } from '../../delivery/delivery.js';
import { GatewayError } from '../../errors.js';
import {
  listDeliveries,
  MAX_DELIVERIES_LISTED,
  retryDelivery,
} from '../../gateway/operate-deliveries.js';
import type { GatewayEnv } from '../env.js';
import type { HttpDeps } from '../http-deps.js';

/** Deliveries listed when `limit` is not given. */
const DEFAULT_LIMIT = 100;

/**
 * `GET /v1/deliveries?state=pending|delivered|dead[&limit=1..1000]` (docs/protocol.md §11), behind
 * key-only auth with `audit:read`. `state` defaults to `pending`; anything outside the
 * listed values is 400 `invalid_range`. Not mounted when no targets file is configured.
 */
export function listDeliveriesRoute(deps: HttpDeps) {
  const deliveries = deps.ports.deliveries;
  if (deliveries === undefined) return undefined;
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const state = parseState(single(c.req.queries('state'), 'state'));
    const limit = parseLimit(single(c.req.queries('limit'), 'limit'));
    return c.json({ deliveries: await listDeliveries(deliveries, state, limit) });
  };
}

/**
 * `POST /v1/deliveries/:id/retry` (docs/protocol.md §11), key-only with `deliveries:write`: a
 * `dead` delivery back to `pending` (200 with its id and new state); 404
 * `unknown_delivery`, 409 `delivery_not_dead`. No body is read.
 */
export function retryDeliveryRoute(deps: HttpDeps) {
  const deliveries = deps.ports.deliveries;
  if (deliveries === undefined) return undefined;
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const id = c.req.param('id') ?? '';
    await retryDelivery(deliveries, id, deps.nowMs());
    return c.json({ id, state: 'pending' });
  };
}

/** A query parameter given at most once: a repeated one is ambiguous and refused. */
function single(values: string[] | undefined, name: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1)
    throw new GatewayError('invalid_range', { detail: `${name} may be given once` });
  return values[0];
}

function parseState(text: string | undefined): DeliveryState {
  if (text === undefined) return 'pending';
  if (!(DELIVERY_STATES as readonly string[]).includes(text))
    throw new GatewayError('invalid_range', {
      detail: `state must be one of ${DELIVERY_STATES.join(', ')}`,
    });
  return text as DeliveryState;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^[0-9]{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_DELIVERIES_LISTED)
    throw new GatewayError('invalid_range', {
      detail: `limit must be a whole number from 1 to ${MAX_DELIVERIES_LISTED}`,
    });
  return Number(text);
}
