import { sha256Hex } from '../crypto/index.js';
import type { DeliveryType, NewDelivery } from './delivery.js';
import type { TargetRegistry } from './targets.js';

/**
 * Builds the owed deliveries of one happening (docs/protocol.md §11), pure. The body is
 * serialised here once and stored, so every retry sends byte-identical content.
 */

/** What the gateway knows of an allowed event (or of the event behind an approved deploy). */
export interface DecisionFacts {
  /** The decision id (for a deploy: the event's decision id, which its `allow` entry carries). */
  readonly decision: string;
  readonly client: string;
  readonly action: string;
  readonly target: string;
  /** `sha256:<hex>` of the raw event request body. */
  readonly request: string;
  /** The event object as the client sent it (parsed). */
  readonly event: unknown;
  /** The audit receipt of the `allow` decision (§6 index and leaf hash; the full §9 receipt where the log gives one). */
  readonly audit: unknown;
}

export type Happening =
  | ({ readonly type: 'event.allowed' } & DecisionFacts)
  | ({
      readonly type: 'deploy.approved';
      /** The deploy view (§5, with the §10 members where the gateway has them). */
      readonly deploy: unknown;
      /** The §10 DSSE release attestation, where the gateway issues one. */
      readonly attestation?: unknown;
    } & DecisionFacts);

/**
 * The delivery id (`webhook-id`): derived from the happening and the target, so recording
 * the same happening twice (e.g. a release retried after a failure) owes nothing twice.
 * Decision ids are random, so ids of distinct happenings never collide.
 */
export function deliveryId(type: DeliveryType, decision: string, target: string): string {
  return `msg_${sha256Hex(`codex-delivery/v1\n${type}\n${decision}\n${target}`).slice(0, 32)}`;
}

/** The JSON body of a delivery of `h` made at `nowMs`. */
export function deliveryBody(h: Happening, nowMs: number): string {
  const data: Record<string, unknown> = {
    decision: h.decision,
    client: h.client,
    action: h.action,
    target: h.target,
    request: h.request,
    event: h.event,
  };
  if (h.type === 'deploy.approved') {
    data['deploy'] = h.deploy;
    if (h.attestation !== undefined) data['attestation'] = h.attestation;
  }
  data['audit'] = h.audit;
  return JSON.stringify({ type: h.type, timestamp: new Date(nowMs).toISOString(), data });
}

/** The deliveries `h` owes: one per target that subscribes to its type and action. */
export function planDeliveries(
  targets: TargetRegistry,
  h: Happening,
  nowMs: number,
): NewDelivery[] {
  const matching = targets.matching(h.type, h.action);
  if (matching.length === 0) return [];
  const body = deliveryBody(h, nowMs);
  return matching.map((t) => ({
    id: deliveryId(h.type, h.decision, t.id),
    target: t.id,
    type: h.type,
    decision: h.decision,
    body,
    createdAtMs: nowMs,
  }));
}
