/**
 * `npm run audit:gate`: runs `npm audit --omit=dev --json` and fails when a production
 * dependency has an advisory at or above the threshold (default `high`) that no active
 * allow-list entry covers.
 *
 *   tsx tools/audit-gate.ts [--level <severity>] [--allowlist <file>] [--attempts <n>] [--offline]
 *
 * When the audit cannot be run (registry unreachable or refusing the advisory endpoint),
 * the gate FAILS, unless offline mode was asked for explicitly (`--offline` or
 * AUDIT_GATE_OFFLINE=1): then it still validates the allow-list, prints loudly that no
 * advisory data was checked, and exits 0. It never reads a failed request as "no findings".
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllowList } from './supply/audit-allowlist.js';
import {
  evaluateGate,
  parseSeverity,
  readAuditOutput,
  type AuditOutput,
} from './supply/audit-gate.js';
import { parseScriptArgs } from './script-args.js';

async function main(argv: string[]): Promise<number> {
  const { values, flags } = parseScriptArgs(argv, {
    values: ['--level', '--allowlist', '--attempts'],
    flags: ['--offline'],
  });
  const offline = flags.has('--offline') || process.env.AUDIT_GATE_OFFLINE === '1';
  const level = parseSeverity(values.get('--level') ?? process.env.AUDIT_GATE_LEVEL ?? 'high');
  const attempts = Number(values.get('--attempts') ?? (offline ? '1' : '3'));
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10)
    throw new Error('--attempts must be an integer from 1 to 10');
  const today = new Date().toISOString().slice(0, 10);
  const allowPath = values.get('--allowlist') ?? 'audit-allowlist.json';
  const allowList = parseAllowList(JSON.parse(await readFile(allowPath, 'utf8')), today);
  for (const e of allowList.filter((x) => x.expires < today))
    console.warn(
      `audit:gate: allow-list entry ${e.id} expired on ${e.expires}; no longer honoured`,
    );

  const output = await runAudit(attempts);
  if (output.kind === 'unavailable') {
    if (offline) {
      console.warn(`audit:gate: NOT RUN (offline mode): ${output.reason}`);
      console.warn('audit:gate: this is not a pass: no advisory data was checked.');
      return 0;
    }
    console.error(`audit:gate: FAILED, the audit could not be run: ${output.reason}`);
    console.error('audit:gate: use --offline (or AUDIT_GATE_OFFLINE=1) only where that is known.');
    return 1;
  }
  const result = evaluateGate(output.findings, level, allowList, today);
  for (const f of result.below) console.log(`below ${level}: ${f.severity} ${f.id} ${f.package}`);
  for (const { finding: f, entry } of result.allowed)
    console.log(
      `allowed until ${entry.expires}: ${f.severity} ${f.id} ${f.package} (${entry.reason})`,
    );
  for (const e of result.unusedEntries)
    console.warn(`audit:gate: allow-list entry ${e.id} matched nothing`);
  for (const f of result.blocking)
    console.error(`BLOCKING ${f.severity} ${f.id} ${f.package}: ${f.title}`);
  if (result.blocking.length > 0) {
    console.error(`audit:gate: FAILED, ${result.blocking.length} finding(s) at or above ${level}`);
    return 1;
  }
  console.log(`audit:gate: OK, ${output.findings.length} finding(s), none blocking at ${level}`);
  return 0;
}

async function runAudit(attempts: number): Promise<AuditOutput> {
  // A throwaway npm cache: npm stores advisory answers in its cache and would replay them
  // (even with --prefer-online), so a shared cache could hide an advisory published today.
  const cache = await mkdtemp(join(tmpdir(), 'audit-gate-cache-'));
  try {
    let last: AuditOutput = { kind: 'unavailable', reason: 'not attempted' };
    for (let i = 1; i <= attempts; i++) {
      const run = spawnSync('npm', ['audit', '--omit=dev', '--json', '--cache', cache], {
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      // npm exits non-zero both for "vulnerabilities found" and for errors: decide by content.
      last = run.error
        ? { kind: 'unavailable', reason: run.error.message }
        : readAuditOutput(run.stdout);
      if (last.kind === 'report') return last;
      if (i < attempts) {
        console.warn(`audit:gate: attempt ${i} failed (${last.reason}); retrying`);
        await new Promise((r) => setTimeout(r, 2000 * i));
      }
    }
    return last;
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`audit:gate: FAILED: ${(err as Error).message}`);
    process.exit(1);
  },
);
