import type { Outbox } from '../delivery/outbox.js';
import { planDeliveries, type Happening } from '../delivery/payload.js';
import type { DeliveryType } from '../delivery/delivery.js';
import type { TargetRegistry } from '../delivery/targets.js';
import { guardStore } from './guard-store.js';
import type { AttestationPorts } from './issue-attestation.js';

/**
 * What recording and operating deliveries needs (docs/protocol.md §11), handed in by app.ts from
 * what compose.ts built (a file outbox in the data directory, or the Redis outbox).
 */
export interface DeliveryPorts {
  /** The operator's targets file: the only source of URLs (no SSRF from events). */
  readonly targets: TargetRegistry;
  readonly outbox: Pick<Outbox, 'enqueue' | 'list' | 'retry'>;
  /** Wakes the dispatcher after an enqueue or an operator's retry (it also polls). */
  wake(): void;
  /** Builds the §10 attestation a `deploy.approved` body carries; absent: none is attached. */
  readonly attestation?: AttestationPorts;
}

/** True when some target receives `type` for events of `action`. */
export function owesOn(
  deliveries: DeliveryPorts | undefined,
  type: DeliveryType,
  action: string,
): boolean {
  return deliveries !== undefined && deliveries.targets.matching(type, action).length > 0;
}

/**
 * Records durably the deliveries `happening` owes, and resolves only once they are stored
 * (file: fsynced; Redis: acknowledged), so the caller may answer only after. Idempotent:
 * delivery ids derive from the happening and the target, so recording one twice owes
 * nothing twice. A store failure rejects with 503 `unavailable` (fail closed: no answer
 * is sent for a happening whose deliveries could be lost).
 */
export async function oweDeliveries(
  deliveries: DeliveryPorts | undefined,
  happening: Happening,
  nowMs: number,
): Promise<number> {
  if (deliveries === undefined) return 0;
  const owed = planDeliveries(deliveries.targets, happening, nowMs);
  if (owed.length === 0) return 0;
  await guardStore(() => deliveries.outbox.enqueue(owed));
  deliveries.wake();
  return owed.length;
}
