import {
  DELIVERY_ID,
  deliveryView,
  type DeliveryState,
  type DeliveryView,
} from '../delivery/delivery.js';
import { GatewayError } from '../errors.js';
import { guardStore } from './guard-store.js';
import type { DeliveryPorts } from './owe-deliveries.js';

/** Most deliveries one `GET /v1/deliveries` lists. */
export const MAX_DELIVERIES_LISTED = 1000;

/**
 * `GET /v1/deliveries?state=` (docs/protocol.md §11): the deliveries in `state` (pending oldest
 * first, delivered and dead newest first), at most `limit`, as their public view (never
 * the body). A store failure is 503.
 */
export async function listDeliveries(
  deliveries: DeliveryPorts,
  state: DeliveryState,
  limit: number,
): Promise<DeliveryView[]> {
  const records = await guardStore(() => deliveries.outbox.list(state, limit));
  return records.map(deliveryView);
}

/**
 * `POST /v1/deliveries/<id>/retry` (docs/protocol.md §11): puts a `dead` delivery back to
 * `pending`, due now, with a fresh retry window, and wakes the dispatcher. Throws 404
 * `unknown_delivery` (also for an id that cannot exist), 409 `delivery_not_dead`, 503.
 */
export async function retryDelivery(
  deliveries: DeliveryPorts,
  id: string,
  nowMs: number,
): Promise<void> {
  if (!DELIVERY_ID.test(id)) throw new GatewayError('unknown_delivery');
  const outcome = await guardStore(() => deliveries.outbox.retry(id, nowMs));
  if (outcome === 'unknown_delivery') throw new GatewayError('unknown_delivery');
  if (outcome === 'delivery_not_dead')
    throw new GatewayError('delivery_not_dead', {
      detail: 'only a dead delivery can be retried',
    });
  deliveries.wake();
}
