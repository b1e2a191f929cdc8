import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { sha256Hex } from '../../src/crypto/index.js';
import type { ActivePolicy } from '../../src/policy/active-policy.js';
import { PolicyReloader, type PolicyReloaderOptions } from '../../src/policy/reloader.js';
import { shippedPolicyJson } from './fixtures.js';

let dir: string;
let file: string;
const open: PolicyReloader[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'policy-reload-'));
  file = path.join(dir, 'policy.json');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Policy text that differs by `maxSteps`; returns its expected revision. */
function policyText(maxSteps: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...shippedPolicyJson(), maxSteps, ...extra }, null, 2);
}
const revisionOf = (text: string): string => `sha256:${sha256Hex(text)}`;

function writeInPlace(text: string): string {
  writeFileSync(file, text);
  return revisionOf(text);
}
function writeByRename(text: string): string {
  const tmp = path.join(dir, `.policy.json.${Math.random().toString(16).slice(2)}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return revisionOf(text);
}

async function started(options: Partial<PolicyReloaderOptions> = {}): Promise<PolicyReloader> {
  const r = new PolicyReloader({ file, devMode: false, clock: systemClock, ...options });
  open.push(r);
  await r.start();
  return r;
}

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PolicyReloader', () => {
  it('activates the file at start with its revision and times', async () => {
    const rev = writeInPlace(policyText(12));
    const r = await started();
    expect(r.current()?.revision).toBe(rev);
    const status = r.status();
    expect(status.revision).toBe(rev);
    expect(status.lastError).toBeUndefined();
    expect(Date.parse(status.activatedAt!)).not.toBeNaN();
    expect(status.lastAttemptAt).toBe(status.activatedAt);
  });

  it('sees an in-place rewrite within 2 s', async () => {
    writeInPlace(policyText(12));
    const r = await started();
    const rev = writeInPlace(policyText(5));
    await eventually(() => r.current()?.revision === rev);
  });

  it('sees a replacement by rename within 2 s, repeatedly', async () => {
    writeInPlace(policyText(12));
    const r = await started();
    for (const n of [4, 5, 6]) {
      const rev = writeByRename(policyText(n));
      await eventually(() => r.current()?.revision === rev);
    }
  });

  it('falls back on the periodic hash check when no file event arrives', async () => {
    writeInPlace(policyText(12));
    // A debounce longer than the test: only the poll can notice the change.
    const r = await started({ debounceMs: 60_000, pollMs: 100 });
    const rev = writeByRename(policyText(3));
    await eventually(() => r.current()?.revision === rev);
  });

  it('re-reads on reload() (SIGHUP) without waiting for any event', async () => {
    writeInPlace(policyText(12));
    const r = new PolicyReloader({ file, devMode: false, clock: systemClock });
    open.push(r);
    await r.reload();
    const rev = writeInPlace(policyText(7));
    await r.reload();
    expect(r.current()?.revision).toBe(rev);
  });

  it('converges on the last of 20 rapid rewrites', async () => {
    writeInPlace(policyText(12));
    const activated: string[] = [];
    const r = await started({ onActivate: (p) => void activated.push(p.revision) });
    let last = '';
    for (let n = 1; n <= 20; n++)
      last = n % 2 ? writeInPlace(policyText(n)) : writeByRename(policyText(n));
    await eventually(() => r.current()?.revision === last);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.current()?.revision).toBe(last);
    expect(activated.at(-1)).toBe(last);
    expect(r.status().lastError).toBeUndefined();
  });

  describe('with an invalid file', () => {
    const invalid: [string, string, RegExp][] = [
      ['bad JSON', '{"version": 1, ', /^\(root\): not valid JSON at \d+:\d+ \(line:column\)/],
      [
        'an unknown field',
        policyText(12, { maxStep: 3 }),
        /^\(root\): unknown field\(s\) "maxStep"/,
      ],
      [
        'a ReDoS pattern',
        policyText(12, { deny: { patterns: [{ name: 'evil', regex: '(a|aa)*b' }] } }),
        /^deny\.patterns\[0\]\.regex: super-linear/,
      ],
      [
        'a bad approver key',
        policyText(12, { approvers: { alice: `01${'00'.repeat(31)}` } }),
        /^approvers\.alice: .*small-order/,
      ],
    ];

    it.each(invalid)(
      'keeps the last good revision and records the error (%s)',
      async (_name, text, expected) => {
        const good = writeInPlace(policyText(12));
        const errors: string[] = [];
        const r = await started({ onError: (m) => errors.push(m) });
        writeByRename(text);
        await eventually(() => r.status().lastError !== undefined);
        expect(r.current()?.revision).toBe(good);
        expect(r.status().revision).toBe(good);
        expect(r.status().lastError).toMatch(expected);
        expect(errors.at(-1)).toMatch(expected);
        // Fixing the file clears the error and activates the fix.
        const fixed = writeByRename(policyText(8));
        await eventually(() => r.current()?.revision === fixed);
        expect(r.status().lastError).toBeUndefined();
      },
    );
  });

  it('has no revision (deny everything) until a good file appears', async () => {
    const r = await started({ pollMs: 100 });
    expect(r.current()).toBeUndefined();
    expect(r.status().lastError).toBe('(root): cannot read policy file: ENOENT');
    writeInPlace('{"version": 2}');
    await eventually(() => r.status().lastError?.startsWith('version') === true);
    expect(r.current()).toBeUndefined();
    const rev = writeByRename(policyText(12));
    await eventually(() => r.current()?.revision === rev);
  });

  it('audits each new revision once, before it serves', async () => {
    writeInPlace(policyText(12));
    const activated: string[] = [];
    const holder: { r?: PolicyReloader } = {};
    const r = await started({
      onActivate: (p) => {
        // Not yet visible to requests while it is being recorded.
        expect(holder.r?.current()?.revision).not.toBe(p.revision);
        activated.push(p.revision);
      },
    });
    holder.r = r;
    const rev = writeInPlace(policyText(9));
    await eventually(() => r.current()?.revision === rev);
    await r.reload(); // same bytes: no new activation
    expect(activated).toHaveLength(2);
  });

  it('does not activate a revision whose activation could not be recorded', async () => {
    const good = writeInPlace(policyText(12));
    let failAudit = false;
    const r = await started({
      onActivate: () => {
        if (failAudit) throw new Error('audit disk full');
      },
    });
    failAudit = true;
    writeInPlace(policyText(2));
    await r.reload();
    expect(r.current()?.revision).toBe(good);
    expect(r.status().lastError).toContain('audit disk full');
    failAudit = false;
    await r.reload();
    expect(r.current()?.revision).toBe(revisionOf(policyText(2)));
  });

  it('leaves a snapshot taken before a reload untouched', async () => {
    writeInPlace(policyText(12));
    const r = await started();
    const before: ActivePolicy = r.current()!;
    const steps = Array.from({ length: 5 }, () => ({ name: 'x', run: 'true' }));
    writeInPlace(policyText(2));
    await r.reload();
    expect(
      r.current()!.evaluate('ci-main', { action: 'build', target: 'a', steps }).reasons,
    ).toEqual(['max_steps']);
    expect(before.evaluate('ci-main', { action: 'build', target: 'a', steps }).decision).toBe(
      'allow',
    );
    expect(before.revision).toBe(revisionOf(policyText(12)));
  });
});
