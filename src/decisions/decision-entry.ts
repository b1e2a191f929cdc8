import type { AuditEntry } from '../audit/audit-log.js';

/** The fields of a decision that go into the audit log (PROTOCOL §6); never the body or a secret. */
export interface DecisionRecord {
  readonly id: string;
  readonly timeMs: number;
  readonly client: string;
  readonly action: string;
  readonly target: string;
  readonly decision: 'allow' | 'deny' | 'pending';
  readonly reasons: readonly string[];
  /** Policy revision, or null when no good policy was ever loaded. */
  readonly policy: string | null;
  /** `sha256:<hex>` of the raw request body. */
  readonly request: string;
  /** The pending deploy's id, for `pending` decisions. */
  readonly deploy?: string;
}

/** Builds the audit entry for a decision. */
export function decisionEntry(d: DecisionRecord): AuditEntry {
  return {
    v: 1,
    type: 'decision',
    time: new Date(d.timeMs).toISOString(),
    id: d.id,
    client: d.client,
    action: d.action,
    target: d.target,
    decision: d.decision,
    reasons: [...d.reasons],
    policy: d.policy,
    request: d.request,
    ...(d.deploy === undefined ? {} : { deploy: d.deploy }),
  };
}
