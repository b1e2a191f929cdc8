import { isActive, type AllowEntry } from './audit-allowlist.js';

/**
 * The vulnerability gate's decision, from an `npm audit --json` report (npm 7+ format,
 * `auditReportVersion: 2`), a threshold and the allow-list. Pure: the runner script
 * spawns npm and reads files.
 */
export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One advisory affecting one package. */
export interface Finding {
  readonly id: string;
  readonly package: string;
  readonly severity: Severity;
  readonly title: string;
}

/** Outcome of reading npm's output: a report, or why the audit could not be run. */
export type AuditOutput =
  | { readonly kind: 'report'; readonly findings: Finding[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Interprets npm's stdout. Anything that is not a v2 report (registry errors come back as
 * `{ "message", "error": {...} }`, or as no JSON at all) is `unavailable`: the gate must
 * never read "no vulnerabilities" into a failed request.
 */
export function readAuditOutput(stdout: string): AuditOutput {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return { kind: 'unavailable', reason: 'npm audit did not print JSON' };
  }
  const report = doc as {
    auditReportVersion?: unknown;
    vulnerabilities?: unknown;
    message?: unknown;
  };
  if (
    report?.auditReportVersion !== 2 ||
    typeof report.vulnerabilities !== 'object' ||
    report.vulnerabilities === null
  ) {
    const message = typeof report?.message === 'string' ? report.message : 'no audit report';
    return { kind: 'unavailable', reason: message.slice(0, 300) };
  }
  const findings: Finding[] = [];
  for (const [pkg, v] of Object.entries(
    report.vulnerabilities as Record<string, { via?: unknown }>,
  )) {
    // `via` mixes advisory objects (this package is vulnerable) and package names (it only
    // depends on a vulnerable one, which has its own entry); only the objects are findings.
    for (const via of Array.isArray(v.via) ? (v.via as unknown[]) : []) {
      if (typeof via !== 'object' || via === null) continue;
      const a = via as { source?: unknown; url?: unknown; severity?: unknown; title?: unknown };
      const severity = SEVERITIES.find((s) => s === a.severity) ?? 'critical'; // unknown → worst
      findings.push({
        id: advisoryId(a.url, a.source),
        package: pkg,
        severity,
        title: String(a.title ?? ''),
      });
    }
  }
  return { kind: 'report', findings };
}

/** A finding with the allow-list entry that covers it, if any. */
export interface GateResult {
  readonly blocking: Finding[];
  readonly allowed: { finding: Finding; entry: AllowEntry }[];
  readonly below: Finding[];
  readonly unusedEntries: AllowEntry[];
}

/** Splits findings into blocking (≥ threshold, not allowed), allowed and below threshold. */
export function evaluateGate(
  findings: readonly Finding[],
  threshold: Severity,
  allowList: readonly AllowEntry[],
  today: string,
): GateResult {
  const active = allowList.filter((e) => isActive(e, today));
  const used = new Set<AllowEntry>();
  const result: GateResult = { blocking: [], allowed: [], below: [], unusedEntries: [] };
  for (const f of findings) {
    if (rank(f.severity) < rank(threshold)) {
      result.below.push(f);
      continue;
    }
    const entry = active.find(
      (e) => e.id === f.id && (e.package === undefined || e.package === f.package),
    );
    if (entry === undefined) result.blocking.push(f);
    else {
      used.add(entry);
      result.allowed.push({ finding: f, entry });
    }
  }
  result.unusedEntries.push(...allowList.filter((e) => !used.has(e)));
  return result;
}

/** Parses a severity name; throws TypeError for anything else. */
export function parseSeverity(s: string): Severity {
  const found = SEVERITIES.find((x) => x === s);
  if (found === undefined) throw new TypeError(`severity must be one of ${SEVERITIES.join(', ')}`);
  return found;
}

function rank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** GHSA id from the advisory URL when present, else npm's numeric source id. */
function advisoryId(url: unknown, source: unknown): string {
  const m = typeof url === 'string' ? /(GHSA(?:-[a-z0-9]{4}){3})$/.exec(url) : null;
  return m?.[1] ?? String(source ?? 'unknown');
}
