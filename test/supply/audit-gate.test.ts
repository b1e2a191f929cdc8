import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../tools/supply/audit-allowlist.js';
import { evaluateGate, readAuditOutput, type Finding } from '../../tools/supply/audit-gate.js';
import { runScript } from './helpers.js';

const TODAY = '2026-11-21';
const finding = (
  severity: Finding['severity'],
  id = 'GHSA-2c8m-x6vw-pq4r',
  pkg = 'ms',
): Finding => ({
  id,
  package: pkg,
  severity,
  title: 't',
});
const entry = (over: Record<string, unknown> = {}): unknown => ({
  id: 'GHSA-2c8m-x6vw-pq4r',
  reason: 'not reachable: only used by the dev CLI path',
  expires: '2026-12-31',
  ...over,
});

describe('readAuditOutput', () => {
  it('treats registry errors and non-JSON as "unavailable", never as a clean report', () => {
    const npmError = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry/-/npm/v1/security/advisories/bulk',
      error: { summary: '' },
    });
    expect(readAuditOutput(npmError)).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringMatching(/405/),
    });
    expect(readAuditOutput('')).toMatchObject({ kind: 'unavailable' });
    expect(readAuditOutput('{"auditReportVersion":1}')).toMatchObject({ kind: 'unavailable' });
  });

  it('takes findings only from advisory objects, and an unknown severity as critical', () => {
    const out = readAuditOutput(
      JSON.stringify({
        auditReportVersion: 2,
        vulnerabilities: {
          debug: { via: ['ms'] },
          ms: {
            via: [
              {
                source: 1,
                url: 'https://github.com/advisories/GHSA-2c8m-x6vw-pq4r',
                severity: 'high',
                title: 'x',
              },
            ],
          },
          odd: { via: [{ source: 77, severity: 'apocalyptic', title: 'y' }] },
        },
      }),
    );
    expect(out).toEqual({
      kind: 'report',
      findings: [
        { id: 'GHSA-2c8m-x6vw-pq4r', package: 'ms', severity: 'high', title: 'x' },
        { id: '77', package: 'odd', severity: 'critical', title: 'y' },
      ],
    });
  });
});

describe('evaluateGate', () => {
  it('blocks at and above the threshold, not below', () => {
    const r = evaluateGate(
      [finding('moderate'), finding('high'), finding('critical', '9')],
      'high',
      [],
      TODAY,
    );
    expect(r.blocking.map((f) => f.severity)).toEqual(['high', 'critical']);
    expect(r.below.map((f) => f.severity)).toEqual(['moderate']);
    expect(evaluateGate([finding('moderate')], 'moderate', [], TODAY).blocking).toHaveLength(1);
  });

  it('lets an active allow-list entry through, up to and including its expiry day', () => {
    const list = parseAllowList({ version: 1, entries: [entry({ expires: TODAY })] }, TODAY);
    const r = evaluateGate([finding('critical')], 'high', list, TODAY);
    expect(r.blocking).toEqual([]);
    expect(r.allowed).toHaveLength(1);
  });

  it('blocks again once the entry has expired, or when it names another package', () => {
    const expired = parseAllowList(
      { version: 1, entries: [entry({ expires: '2026-11-20' })] },
      TODAY,
    );
    expect(evaluateGate([finding('high')], 'high', expired, TODAY).blocking).toHaveLength(1);
    const other = parseAllowList({ version: 1, entries: [entry({ package: 'debug' })] }, TODAY);
    const r = evaluateGate([finding('high')], 'high', other, TODAY);
    expect(r.blocking).toHaveLength(1);
    expect(r.unusedEntries).toHaveLength(1);
  });
});

describe('parseAllowList', () => {
  it.each([
    ['no reason', { reason: undefined }],
    ['a token reason', { reason: 'ok' }],
    ['no expiry', { expires: undefined }],
    ['an impossible date', { expires: '2026-02-30' }],
    ['an expiry too far ahead', { expires: '2030-01-01' }],
    ['a malformed id', { id: 'CVE-2024-1' }],
    ['an unknown field', { severity: 'low' }],
  ])('refuses an entry with %s', (_name, over) => {
    expect(() => parseAllowList({ version: 1, entries: [entry(over)] }, TODAY)).toThrow(TypeError);
  });

  it('refuses a file of the wrong shape', () => {
    expect(() => parseAllowList({ entries: [] }, TODAY)).toThrow(TypeError);
    expect(() => parseAllowList([], TODAY)).toThrow(TypeError);
  });
});

/**
 * npm audit for real, against a local stand-in for the registry's advisory endpoint (the
 * real one cannot be reached from here). It answers the bulk advisory request with one
 * advisory for `ms` (a production dependency via ioredis → debug); everything else is 404.
 */
describe('npm run audit:gate (real npm audit)', () => {
  let server: Server;
  let registry = '';
  let dir = '';
  let severity = 'high';
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    npm_config_registry: registry,
    npm_config_fetch_retries: '0',
    AUDIT_GATE_OFFLINE: '',
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codex-audit-'));
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              ms: [
                {
                  id: 1100001,
                  url: 'https://github.com/advisories/GHSA-2c8m-x6vw-pq4r',
                  title: 'test advisory',
                  severity,
                  vulnerable_versions: '<=99.0.0',
                  cwe: [],
                  cvss: { score: 7.5, vectorString: null },
                },
              ],
            }),
          );
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails on a high advisory in the production tree', async () => {
    severity = 'high';
    const r = await runScript('audit-gate.ts', [], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BLOCKING high GHSA-2c8m-x6vw-pq4r ms/);
  });

  // Also proves the gate ignores npm's cached advisory answer from the test before.
  it('passes a moderate advisory at the default threshold, fails it at --level moderate', async () => {
    severity = 'moderate';
    expect((await runScript('audit-gate.ts', [], { env: env() })).code).toBe(0);
    expect((await runScript('audit-gate.ts', ['--level', 'moderate'], { env: env() })).code).toBe(
      1,
    );
  });

  it('passes a high advisory covered by an allow-list entry with reason and expiry', async () => {
    severity = 'high';
    const file = join(dir, 'allow.json');
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await writeFile(file, JSON.stringify({ version: 1, entries: [entry({ expires })] }));
    const r = await runScript('audit-gate.ts', ['--allowlist', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/allowed until/);
  });

  it('fails, saying so, when the registry cannot be reached', async () => {
    const closed = { ...env(), npm_config_registry: 'http://127.0.0.1:9/' };
    const r = await runScript('audit-gate.ts', ['--attempts', '1'], { env: closed });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not be run/);
  });

  it('in explicit offline mode exits 0 but says loudly that nothing was checked', async () => {
    const closed = { ...env(), npm_config_registry: 'http://127.0.0.1:9/' };
    const r = await runScript('audit-gate.ts', ['--offline'], { env: closed });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/NOT RUN \(offline mode\)/);
    expect(r.stderr).toMatch(/not a pass/);
  });

  it('fails even in offline mode when the allow-list is invalid', async () => {
    const file = join(dir, 'bad-allow.json');
    await writeFile(file, JSON.stringify({ version: 1, entries: [entry({ reason: '' })] }));
    const r = await runScript('audit-gate.ts', ['--offline', '--allowlist', file], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reason is required/);
  });
});
