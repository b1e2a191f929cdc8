import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/crypto/index.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, writePolicyFile } from '../helpers/credentials.js';
import { shippedPolicyJson } from './fixtures.js';

/** The shipped rules with `ci-main` allowed to build and no rate limit (load below). */
function policyDoc(maxSteps: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...shippedPolicyJson(),
    maxSteps,
    clients: { 'ci-main': { actions: ['build', 'test'] } },
    ...extra,
  };
}
const text = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;
const revisionOf = (t: string): string => `sha256:${sha256Hex(t)}`;

interface PolicyStatusBody {
  revision?: string;
  activatedAt?: string;
  lastError?: string;
  lastAttemptAt?: string;
}

let gw: GatewayProcess;
let file: string;

beforeAll(async () => {
  gw = await startGateway({ policy: policyDoc(12) });
  file = path.join(gw.dir, 'policy.json');
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  if (gw) rmSync(gw.dir, { recursive: true, force: true });
});

function writeInPlace(doc: unknown): string {
  const t = text(doc);
  writeFileSync(file, t);
  return revisionOf(t);
}
function writeByRename(doc: unknown): string {
  const t = text(doc);
  const tmp = `${file}.tmp-${Math.random().toString(16).slice(2)}`;
  writeFileSync(tmp, t);
  renameSync(tmp, file);
  return revisionOf(t);
}

async function status(): Promise<PolicyStatusBody> {
  const res = await gw.get('/v1/policy');
  expect(res.status).toBe(200);
  return (await res.json()) as PolicyStatusBody;
}

/** The revision a decision was made under. */
async function decisionRevision(): Promise<string> {
  const res = await gw.post('/v1/events');
  expect(res.status).toBe(200);
  return ((await res.json()) as { policy: string }).policy;
}

/** Polls decisions until one is made under `revision`; fails after 2 s (the acceptance bound). */
async function seenWithin2s(revision: string): Promise<number> {
  const started = Date.now();
  while ((await decisionRevision()) !== revision) {
    if (Date.now() - started > 2000) throw new Error(`revision ${revision} not serving after 2 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

describe('policy hot reload through the real server process', () => {
  it('serves the file revision in GET /v1/policy and on every decision', async () => {
    const rev = revisionOf(readFileSync(file, 'utf8'));
    const s = await status();
    expect(s.revision).toBe(rev);
    expect(s.lastError).toBeUndefined();
    expect(await decisionRevision()).toBe(rev);
    const denied = await gw.post('/v1/events', {
      action: 'build',
      target: 'acme/web',
      steps: [{ name: 'x', run: 'ＲＭ －ＲＦ ／' }],
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      code: 'policy_denied',
      reasons: ['deny_pattern:rm_root'],
    });
  });

  it('picks up an in-place rewrite within 2 s', async () => {
    await seenWithin2s(writeInPlace(policyDoc(11)));
  });

  it('picks up a replacement by rename within 2 s', async () => {
    await seenWithin2s(writeByRename(policyDoc(10)));
  });

  it('re-reads the file on SIGHUP', async () => {
    const before = await status();
    await new Promise((r) => setTimeout(r, 5)); // distinct millisecond for lastAttemptAt
    gw.child.kill('SIGHUP');
    const started = Date.now();
    while ((await status()).lastAttemptAt === before.lastAttemptAt) {
      if (Date.now() - started > 2000) throw new Error('SIGHUP did not cause a re-read');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await status()).revision).toBe(before.revision);
    const rev = writeInPlace(policyDoc(9));
    gw.child.kill('SIGHUP');
    await seenWithin2s(rev);
  });

  it('converges on the last of 20 rapid rewrites', async () => {
    let last = '';
    for (let n = 1; n <= 20; n++)
      last = n % 2 ? writeInPlace(policyDoc(20 + n)) : writeByRename(policyDoc(20 + n));
    await seenWithin2s(last);
    await new Promise((r) => setTimeout(r, 1200)); // past one poll period: still the last one
    expect(await decisionRevision()).toBe(last);
    expect((await status()).lastError).toBeUndefined();
  });

  const invalid: [string, () => void, RegExp][] = [
    [
      'bad JSON',
      () => void writeFileSync(file, '{"version": 1,'),
      /^\(root\): not valid JSON at \d+:\d+ \(line:column\)/,
    ],
    [
      'an unknown field',
      () => void writeByRename({ ...policyDoc(12), maxStep: 1 }),
      /unknown field\(s\) "maxStep"/,
    ],
    [
      'a ReDoS pattern',
      () =>
        void writeByRename(
          policyDoc(12, { deny: { patterns: [{ name: 'evil', regex: '(a+)+$' }] } }),
        ),
      /^deny\.patterns\[0\]\.regex: super-linear or unsafe pattern: nested quantifier/,
    ],
    [
      'a bad approver key',
      () => void writeInPlace(policyDoc(12, { approvers: { alice: `01${'00'.repeat(31)}` } })),
      /^approvers\.alice: not an acceptable Ed25519 public key: small-order point/,
    ],
  ];

  it.each(invalid)(
    'keeps serving the old revision after %s and shows the error',
    async (_name, write, expected) => {
      const good = writeByRename(policyDoc(7));
      await seenWithin2s(good);
      // The previous case may have left its error; wait until this good file is processed.
      const since = Date.now();
      while ((await status()).lastError !== undefined) {
        if (Date.now() - since > 2000) throw new Error('the good file was not processed');
        await new Promise((r) => setTimeout(r, 25));
      }
      write();
      const started = Date.now();
      let s = await status();
      while (s.lastError === undefined) {
        if (Date.now() - started > 2000) throw new Error('the error did not show within 2 s');
        await new Promise((r) => setTimeout(r, 25));
        s = await status();
      }
      expect(s.lastError).toMatch(expected);
      expect(s.revision).toBe(good);
      expect(await decisionRevision()).toBe(good);
    },
  );

  it('has zero failed requests while reloads happen under load', async () => {
    // The revision serving now (the file itself may hold a rejected version).
    const revisions = new Set<string>([(await status()).revision!]);
    const docs = [policyDoc(12), policyDoc(13), policyDoc(14)];
    for (const d of docs) revisions.add(revisionOf(text(d)));
    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const res = await gw.post('/v1/events');
        const body = (await res.json()) as { decision?: string; policy?: string };
        if (res.status !== 200 || body.decision !== 'allow' || !revisions.has(body.policy ?? ''))
          failures.push(`${res.status} ${JSON.stringify(body)}`);
        else ok++;
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    for (let i = 0; i < 24; i++) {
      const d = docs[i % docs.length]!;
      if (i % 3 === 0) writeInPlace(d);
      else writeByRename(d);
      if (i % 4 === 0) gw.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await Promise.all(workers);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(failures).toHaveLength(0);
    expect(ok).toBeGreaterThan(50);
  }, 30_000);
});

describe('a server with no good policy', () => {
  it('is not ready and denies every event until a good file appears', async () => {
    const dir = tempDir('codex-policy-bad-');
    const policyFile = writePolicyFile(dir, {
      version: 1,
      deny: { patterns: [{ name: 'x', regex: '(a|aa)*b' }] },
    });
    const bad = await startGateway({ env: { GATEWAY_POLICY_FILE: policyFile } });
    try {
      expect((await fetch(`${bad.url}/readyz`)).status).toBe(503);
      const denied = await bad.post('/v1/events');
      expect(denied.status).toBe(403);
      const s = (await (await bad.get('/v1/policy')).json()) as PolicyStatusBody;
      expect(s.revision).toBeUndefined();
      expect(s.lastError).toMatch(/^deny\.patterns\[0\]\.regex: /);
      writeFileSync(policyFile, text(policyDoc(12)));
      const started = Date.now();
      while ((await fetch(`${bad.url}/readyz`)).status !== 200) {
        if (Date.now() - started > 2000)
          throw new Error('not ready 2 s after a good file appeared');
        await new Promise((r) => setTimeout(r, 25));
      }
      expect((await bad.post('/v1/events')).status).toBe(200);
    } finally {
      await bad.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(bad.dir, { recursive: true, force: true });
    }
  }, 30_000);
});
