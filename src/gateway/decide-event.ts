import type { AuditReceipt } from '../audit/audit-log.js';
import type { GatewayEvent } from '../events/event-schema.js';
import { noopMetrics, timeSync } from '../metrics/metrics-port.js';
import type { ActivePolicy, EventFacts } from '../policy/active-policy.js';
import { openPendingDeploy } from '../quorum/open-deploy.js';
import type { PendingDeploy } from '../quorum/pending-deploy.js';
import { allowEntry, denyEntry, pendingEntry, type EventDecisionBase } from './decision-entries.js';
import { guardStore } from './guard-store.js';
import { oweDeliveries, owesOn } from './owe-deliveries.js';
import type { GatewayPorts } from './ports.js';

/** Reason given when no valid policy has ever been loaded: everything is denied. */
export const NO_POLICY_REASON = 'no_active_policy';

/** An authenticated, parsed event to decide (docs/protocol.md §2 checks 1–7 passed). */
export interface EventToDecide {
  readonly clientId: string;
  readonly event: GatewayEvent;
  /** `sha256:<hex>` of the raw request body. */
  readonly request: string;
  /** The policy snapshot the request took when it started (also used for its rate). */
  readonly policy: ActivePolicy | undefined;
  /** The admitted nonce (`sha256:` of `client\nnonce`) and timestamp, recorded in the entry. */
  readonly replay?: { readonly nonce: string; readonly timestamp: number };
  /** What the route proved about the event's text (policy evaluation may skip work). */
  readonly facts?: EventFacts;
}

/** The audited outcome. Every variant's `audit` is durable when this resolves. */
export type EventDecision =
  | {
      readonly decision: 'allow';
      readonly id: string;
      readonly policy: string;
      readonly audit: AuditReceipt;
    }
  | {
      readonly decision: 'deny';
      readonly id: string;
      readonly policy: string | null;
      readonly reasons: readonly string[];
      readonly audit: AuditReceipt;
    }
  | {
      readonly decision: 'pending';
      readonly id: string;
      readonly policy: string;
      readonly deploy: PendingDeploy;
      readonly audit: AuditReceipt;
    };

/**
 * Decides an event under ONE policy snapshot (docs/protocol.md §3–§5): deny, allow, or hold it as
 * a pending deploy when its action needs a quorum; appends the decision to the audit log
 * and resolves only once that entry is durable. A store or log failure rejects with 503
 * `unavailable` (fail closed: nothing is answered that the log cannot prove).
 */
export async function decideEvent(
  ports: GatewayPorts,
  input: EventToDecide,
): Promise<EventDecision> {
  const nowMs = ports.nowMs();
  const base: EventDecisionBase = {
    id: ports.newId(),
    nowMs,
    client: input.clientId,
    action: input.event.action,
    target: input.event.target,
    request: input.request,
    // Absent (undefined) for unsigned callers; no `...(cond && {…})`: slow in V8 (decision-entries.ts).
    nonce: input.replay?.nonce,
    timestamp: input.replay?.timestamp,
  };
  const { policy } = input;
  const append = (entry: Parameters<GatewayPorts['audit']['append']>[0]) =>
    guardStore(() => ports.audit.append(entry));

  if (policy === undefined) {
    const reasons = [NO_POLICY_REASON];
    const audit = await append(denyEntry(base, reasons, null));
    return { decision: 'deny', id: base.id, policy: null, reasons, audit };
  }
  const verdict = timeSync(ports.metrics ?? noopMetrics, 'policy', () =>
    policy.evaluate(input.clientId, input.event, input.facts),
  );
  // The candidate policy in the shadow (docs/protocol.md §13) answers each event once its decision
  // is audited; it never changes the answer and never throws (shadow-candidate.ts).
  const shadow = (decision: 'allow' | 'deny' | 'pending'): void =>
    ports.candidate?.observe(
      base.id,
      input.clientId,
      input.event,
      { decision, reasons: verdict.reasons, policy: policy.revision },
      input.facts,
    );
  if (verdict.decision === 'deny') {
    const audit = await append(denyEntry(base, verdict.reasons, policy.revision));
    shadow('deny');
    return {
      decision: 'deny',
      id: base.id,
      policy: policy.revision,
      reasons: verdict.reasons,
      audit,
    };
  }
  const rule = policy.quorumFor(input.event.action);
  if (rule === undefined) {
    const audit = await append(allowEntry(base, policy.revision));
    shadow('allow');
    // docs/protocol.md §11: the deliveries this allow owes are durable before the 200 is sent. If
    // they cannot be stored the answer is 503 (the entry stays in the log; nothing is sent).
    await oweDeliveries(
      ports.deliveries,
      {
        type: 'event.allowed',
        decision: base.id,
        client: input.clientId,
        action: input.event.action,
        target: input.event.target,
        request: input.request,
        event: input.event,
        audit,
      },
      nowMs,
    );
    return { decision: 'allow', id: base.id, policy: policy.revision, audit };
  }
  const opened = openPendingDeploy({
    decisionId: base.id,
    clientId: input.clientId,
    event: input.event,
    requestDigest: input.request,
    policyRevision: policy.revision,
    rule,
    nowMs,
  });
  // The deploy.approved body carries the event (docs/protocol.md §11): kept with the deploy only
  // when some target will receive it.
  const deploy = owesOn(ports.deliveries, 'deploy.approved', input.event.action)
    ? { ...opened, event: input.event }
    : opened;
  await guardStore(() => ports.deploys.create(deploy));
  const audit = await append(pendingEntry(base, deploy));
  shadow('pending');
  return { decision: 'pending', id: base.id, policy: policy.revision, deploy, audit };
}
