import type { AuditAppender, AuditEntry } from '../audit/audit-log.js';
import type { DecisionOutcome, Metrics } from './metrics-port.js';

const OUTCOMES = new Set<string>(['allow', 'deny', 'pending']);

/**
 * Wraps an audit log so that every `append` is timed (stage `audit_append`) and every
 * durably appended `decision` entry is counted by outcome and reason. Counting here, at the
 * one place every decision passes, means the metric equals what the audit log holds: a
 * refused request (never audited) can never show up as a decision.
 *
 * A Proxy forwards every other member (readers, checkpoints) bound to the original object,
 * so the audit module can grow its interface without this wrapper hiding anything.
 */
export function instrumentAudit<T extends AuditAppender>(audit: T, metrics: Metrics): T {
  const append = async (entry: AuditEntry): ReturnType<AuditAppender['append']> => {
    const started = performance.now();
    try {
      const receipt = await audit.append(entry);
      countDecision(metrics, entry);
      return receipt;
    } finally {
      metrics.stage('audit_append', (performance.now() - started) / 1000);
    }
  };
  return new Proxy(audit, {
    get(target, prop) {
      if (prop === 'append') return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * Wraps the audit read side so that each checkpoint it serves is recorded (the signer
 * signs the current tree on demand, so a served checkpoint is the latest one). Every other
 * member is forwarded untouched.
 */
export function instrumentAuditReader<T extends { checkpoint(): Promise<string> }>(
  reader: T,
  metrics: Metrics,
  nowMs: () => number,
): T {
  const checkpoint = async (): Promise<string> => {
    const note = await reader.checkpoint();
    metrics.checkpoint(nowMs());
    return note;
  };
  return new Proxy(reader, {
    get(target, prop) {
      if (prop === 'checkpoint') return checkpoint;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

function countDecision(metrics: Metrics, entry: AuditEntry): void {
  if (entry.type !== 'decision') return;
  const outcome = entry.decision;
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return;
  const reasons = Array.isArray(entry.reasons)
    ? entry.reasons.filter((r): r is string => typeof r === 'string')
    : [];
  metrics.decision(outcome as DecisionOutcome, reasons);
}
