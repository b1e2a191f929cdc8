import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keygenCommand } from '../../src/cli/keygen.js';
import { buildApprovalMessage, type ApprovalFields } from '../../src/quorum/approval-message.js';
import { unixSecondsToRfc3339 } from '../../src/quorum/deploy-state.js';
import { tempDir } from '../helpers/credentials.js';
import {
  expectNoControlCharacters,
  expectOneFailedLine,
  runCli,
  sendJson,
  startServer,
  streamChunked,
  type SeenRequest,
  type TestServer,
} from './cli-process.js';

/**
 * `approve` and `sign` against a lying gateway, through the real CLI process: server
 * strings with terminal escapes, redirects to another host with the API key, huge bodies.
 */

const API_KEY = 'ak_hostile_test_key_0123456789';
const id = 'ab'.repeat(16);
const expires = Math.floor(Date.now() / 1000) + 600;
const fields: ApprovalFields = {
  deploy: id,
  action: 'deploy',
  target: 'acme/web',
  environment: 'prod',
  artifact: `sha256:${'cd'.repeat(32)}`,
  request: `sha256:${'ef'.repeat(32)}`,
  policy: `sha256:${'01'.repeat(32)}`,
  expires,
};

/** An honest deploy view for `f`, with `extra` fields overriding. */
function view(f: ApprovalFields = fields, extra: Record<string, unknown> = {}) {
  return {
    id: f.deploy,
    state: 'pending',
    threshold: 2,
    approvers: ['alice', 'bob'],
    approvedBy: [],
    expiresAt: unixSecondsToRfc3339(f.expires),
    message: buildApprovalMessage(f),
    ...extra,
  };
}

let keyFile = '';
beforeAll(async () => {
  keyFile = path.join(tempDir('codex-hostile-approve-'), 'alice.key');
  const quiet = { out: () => undefined, err: () => undefined };
  expect(await keygenCommand(['--out', keyFile, '--name', 'alice'], quiet)).toBe(0);
});

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(handler: (req: SeenRequest, res: ServerResponse) => void) {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const approve = (url: string, env: Record<string, string> = {}) =>
  runCli(['approve', '--url', url, '--api-key', API_KEY, '--key', keyFile, '--yes', id], env);

const posts = (s: TestServer) => s.seen.filter((r) => r.method === 'POST');

describe('approve against a gateway that sends terminal escapes', { timeout: 120_000 }, () => {
  const repaint = '\u001b[1A\r  target       acme/web\u001b[K';

  it('refuses a name outside the approver grammar and prints no control character', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, view(fields, { approvedBy: [`bob${repaint}`] })),
    );
    const run = await approve(s.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('REFUSED');
    expect(run.stderr).toContain('approvedBy');
    expectNoControlCharacters(run);
    expect(posts(s)).toHaveLength(0);
  });

  it('refuses a message whose target carries an escape sequence', async () => {
    const evil = buildApprovalMessage({ ...fields, target: 'acme/EVIL-prod-wipe' }).replace(
      'acme/EVIL-prod-wipe',
      `acme/EVIL-prod-wipe${repaint}`,
    );
    const s = await server((_req, res) => sendJson(res, 200, view(fields, { message: evil })));
    const run = await approve(s.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('REFUSED');
    expectNoControlCharacters(run);
    expect(posts(s)).toHaveLength(0);
  });

  it('shows no control character from an error answer', async () => {
    const s = await server((_req, res) =>
      sendJson(
        res,
        403,
        `{"code":"\u001b]0;owned\u0007","detail":"\u001b[2J\u009b31m","x":"\u0000"}`,
      ),
    );
    const run = await approve(s.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/answered 403 *\n$/);
    expectNoControlCharacters(run);
  });

  it('does not print escapes from the answer to the approval', async () => {
    const s = await server((req, res) =>
      req.method === 'GET'
        ? sendJson(res, 200, view())
        : sendJson(res, 200, view(fields, { state: 'approved', approvedBy: [`alice${repaint}`] })),
    );
    const run = await approve(s.url);
    expectOneFailedLine(run, 'codex-gateway approve: FAILED: the approval was sent');
    expectNoControlCharacters(run);
    expect(run.stdout).toContain('target       acme/web');
    expect(run.stdout).not.toContain('approval recorded');
  });

  it('shows an honest deploy and succeeds (the control run)', async () => {
    const s = await server((req, res) =>
      sendJson(res, 200, req.method === 'GET' ? view() : view(fields, { approvedBy: ['alice'] })),
    );
    const run = await approve(s.url);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('target       acme/web');
    expect(run.stdout).toContain(`approval recorded: deploy ${id} is pending (1/2)`);
    expect(run.stdout).not.toContain('WARNING');
    expect(posts(s)).toHaveLength(1);
    expect(JSON.parse(posts(s)[0]!.body)).toMatchObject({ approver: 'alice' });
  });

  it('warns about an expiry beyond the longest deploy TTL a policy allows', async () => {
    const far = { ...fields, expires: expires + 3000 * 365 * 86_400 };
    const s = await server((req, res) =>
      sendJson(res, 200, req.method === 'GET' ? view(far) : view(far, { approvedBy: ['alice'] })),
    );
    const run = await approve(s.url);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/WARNING +this deploy expires \d+ days from now, beyond the 7 days/);
  });
});

describe('approve and sign never follow a redirect', { timeout: 120_000 }, () => {
  async function bystander() {
    return server((_req, res) => sendJson(res, 200, view(fields, { approvedBy: ['alice'] })));
  }

  it('approve: a redirected GET ends in one FAILED line; the other host sees nothing', async () => {
    const other = await bystander();
    const s = await server((_req, res) => {
      res.writeHead(307, { location: `${other.url}/v1/deploys/${id}` });
      res.end();
    });
    const run = await approve(s.url);
    const line = expectOneFailedLine(run, 'codex-gateway approve: FAILED:');
    expect(line).toContain('answered 307, a redirect to');
    expect(other.seen).toHaveLength(0);
  });

  it('approve: a redirected POST sends neither the key nor the approval elsewhere', async () => {
    const other = await bystander();
    const s = await server((req, res) => {
      if (req.method === 'GET') return sendJson(res, 200, view());
      res.writeHead(308, { location: `${other.url}/v1/deploys/${id}/approvals` });
      res.end();
    });
    const run = await approve(s.url);
    const line = expectOneFailedLine(run, 'codex-gateway approve: FAILED:');
    expect(line).toContain('answered 308');
    expect(run.stdout).not.toContain('approval recorded');
    expect(other.seen).toHaveLength(0);
    expect(posts(s)).toHaveLength(1);
  });

  it('sign --url: a redirected POST carries the signed request nowhere else', async () => {
    const other = await bystander();
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `${other.url}/v1/events` });
      res.end();
    });
    const run = await runCli(
      ['sign', '--url', s.url, '--path', '/v1/events', '--data', '{"action":"build"}'],
      { CODEX_API_KEY: API_KEY, CODEX_SIGNING_SECRET: 'whsec_test_secret_for_sign' },
    );
    const line = expectOneFailedLine(run, 'codex-gateway sign: FAILED:');
    expect(line).toContain('answered 302');
    expect(other.seen).toHaveLength(0);
    expect(s.seen[0]!.headers['x-api-key']).toBe(API_KEY);
  });

  it('sign --url prints a hostile answer with its control characters escaped', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, '{"ok":"\u001b[2J\u001b]0;t\u0007\u009b"}'),
    );
    const run = await runCli(
      ['sign', '--url', s.url, '--path', '/v1/events', '--data', '{"action":"build"}'],
      { CODEX_API_KEY: API_KEY, CODEX_SIGNING_SECRET: 'whsec_test_secret_for_sign' },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('200 {"ok":"\\x1b[2J\\x1b]0;t\\x07\\x9b"}\n');
    expectNoControlCharacters(run);
  });
});

describe('approve reads are bounded', { timeout: 120_000 }, () => {
  it('a 600 MB chunked deploy view is cut at the cap; memory stays small', async () => {
    let sent: Promise<number> = Promise.resolve(0);
    const s = await server((_req, res) => (sent = streamChunked(res, 600 * 1024 * 1024)));
    const run = await approve(s.url);
    const line = expectOneFailedLine(run, 'codex-gateway approve: FAILED:');
    expect(line).toContain('larger than');
    expect(await sent).toBeLessThan(64 * 1024 * 1024);
    expect(run.peakRssMiB).toBeLessThan(200);
  });
});
