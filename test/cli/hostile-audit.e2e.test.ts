import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dripFeed,
  expectNoControlCharacters,
  expectOneFailedLine,
  runCli,
  sendJson,
  startServer,
  streamChunked,
  type SeenRequest,
  type TestServer,
} from './cli-process.js';
import { decisionEntry, forgedLog, logKey } from './forged-log.js';

/**
 * `audit verify` / `audit prove` against a compromised gateway (it holds the real log key),
 * through the real CLI process: redirects, a 600 MB chunked body, a body of millions of
 * tiny JSON values, a drip-fed body, deeply nested entries, control characters in entries.
 */

const API_KEY = 'ak_hostile_audit_key_0123456789';
const key = logKey();
const log = forgedLog(key, decisionEntry('acme/web'));

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(handler: (req: SeenRequest, res: ServerResponse) => void) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

/** Serves the forged log; `entries` answers the entry routes (default: the honest view). */
function gateway(
  entries: (res: ServerResponse) => void = (res) =>
    sendJson(res, 200, { start: 0, entries: [log.entryView] }),
) {
  return server((req, res) => {
    if (req.url === '/v1/audit/checkpoint') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(log.note);
    }
    if (req.url.startsWith('/v1/audit/entries')) return entries(res);
    sendJson(res, 404, { code: 'not_found' });
  });
}

const verify = (url: string, extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(
    ['audit', 'verify', '--url', url, '--api-key', API_KEY, '--vkey', log.vkey, ...extra],
    env,
  );

const prove = (url: string, vkey: string) =>
  runCli(['audit', 'prove', '--url', url, '--api-key', API_KEY, '--vkey', vkey, '--index', '0']);

describe('audit verify against a compromised gateway', { timeout: 120_000 }, () => {
  it('verifies the forged one-entry log with --entries (the control run)', async () => {
    const s = await gateway();
    const run = await verify(s.url, ['--entries']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^audit verify: OK: hostile\.test\/log size 1 /);
  });

  it('refuses a cross-origin redirect; the other host sees nothing', async () => {
    const other = await server((_req, res) => res.end(log.note));
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `${other.url}/v1/audit/checkpoint` });
      res.end();
    });
    const line = expectOneFailedLine(await verify(s.url), 'audit verify: FAILED:');
    expect(line).toContain('answered 302, a redirect to');
    expect(other.seen).toHaveLength(0);
  });

  it('cuts a 600 MB chunked answer at 16 MiB; peak memory stays under 200 MB', async () => {
    let sent: Promise<number> = Promise.resolve(0);
    const s = await server((_req, res) => (sent = streamChunked(res, 600 * 1024 * 1024)));
    const run = await verify(s.url);
    const line = expectOneFailedLine(run, 'audit verify: FAILED:');
    expect(line).toContain('larger than 16 MiB');
    const bytes = await sent;
    expect(bytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(bytes).toBeLessThan(100 * 1024 * 1024);
    expect(run.peakRssMiB).toBeLessThan(200);
  });

  it('refuses 15 MiB of tiny JSON values before building them; memory stays small', async () => {
    // 5 million `{}` would take ~500 MB once parsed; the bounded parser refuses them first.
    const body = `{"start":0,"entries":[${'{},'.repeat(5_000_000)}{}]}`;
    const s = await gateway((res) => sendJson(res, 200, body));
    const run = await verify(s.url, ['--entries']);
    const line = expectOneFailedLine(run, 'audit verify: FAILED:');
    expect(line).toContain('more than 200000 values');
    expect(run.peakRssMiB).toBeLessThan(200);
  });

  it('ends a drip-fed answer at the deadline', async () => {
    let arrived = 0;
    let closed: Promise<number> = Promise.resolve(0);
    const s = await server((_req, res) => {
      arrived = performance.now();
      closed = new Promise((resolve) => res.on('close', () => resolve(performance.now())));
      dripFeed(res, 300);
    });
    const run = await verify(s.url, [], { CODEX_HTTP_DEADLINE: '2' });
    const line = expectOneFailedLine(run, 'audit verify: FAILED:');
    expect(line).toContain('did not answer completely within 2 s');
    const held = (await closed) - arrived;
    expect(held).toBeGreaterThanOrEqual(1900);
    expect(held).toBeLessThan(4000);
  });

  it('keeps a deeply nested entry inside the FAILED format', async () => {
    const deep = `{"start":0,"entries":[{"index":0,"entry":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}]}`;
    const s1 = await gateway((res) => sendJson(res, 200, deep));
    const line1 = expectOneFailedLine(await verify(s1.url, ['--entries']), 'audit verify: FAILED:');
    expect(line1).toContain('nested deeper than');

    // Deep enough for canonicalization to refuse, shallow enough for the answer's bound
    // (the single-entry route of `audit prove` wraps the entry in one level only).
    const nested = JSON.parse(`${'['.repeat(65)}${']'.repeat(65)}`) as unknown;
    const s2 = await server((req, res) => {
      if (req.url === '/v1/audit/checkpoint') return res.end(log.note);
      if (req.url.startsWith('/v1/audit/proofs/inclusion'))
        return sendJson(res, 200, { index: 0, size: 1, proof: [] });
      sendJson(res, 200, { ...log.entryView, entry: nested });
    });
    const line2 = expectOneFailedLine(await prove(s2.url, log.vkey), 'audit prove: FAILED:');
    expect(line2).toContain('entry 0: entry is not representable as canonical JSON');
  });

  it('prints an entry full of C1 and DEL characters escaped (audit prove)', async () => {
    // JCS leaves C1 and DEL unescaped, so a signed leaf may carry them raw.
    const evil = forgedLog(key, decisionEntry('acme/web\u009b2J\u007f\u202e'));
    const s = await server((req, res) => {
      if (req.url === '/v1/audit/checkpoint') return res.end(evil.note);
      if (req.url.startsWith('/v1/audit/proofs/inclusion'))
        return sendJson(res, 200, {
          index: 0,
          size: 1,
          leafHash: evil.entryView.leafHash,
          root: evil.entryView.leafHash,
          proof: [],
        });
      sendJson(res, 200, evil.entryView);
    });
    const run = await prove(s.url, evil.vkey);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('acme/web\\x9b2J\\x7f\\u202e');
    expectNoControlCharacters(run);
  });
});
