import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { tempDir, testClient, writeClientsFile, writePolicyFile } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { repoRoot } from '../helpers/paths.js';

/** codex-sig/v1 headers for POST /v1/events as the gateway's test client. */
function signedHeaders(gw: GatewayProcess, body: string): Record<string, string> {
  return signRequest({
    apiKey: gw.client.apiKey,
    secret: gw.client.signingSecret,
    method: 'POST',
    target: '/v1/events',
    body,
  });
}

/** Runs the server expecting it to refuse to start; returns its exit code and stderr. */
function refuseToStart(env: Record<string, string>): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      GATEWAY_DATA_DIR: path.join(tempDir(), 'data'),
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stderr: r.stderr };
}

describe('gateway process start-up', () => {
  it('refuses a group-readable clients file with one line and exit 1', () => {
    const file = writeClientsFile(tempDir(), [testClient()]);
    chmodSync(file, 0o644);
    const r = refuseToStart({ GATEWAY_CLIENTS_FILE: file });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/readable by group or others/);
  });
  it('refuses development mode when NODE_ENV=production', () => {
    const r = refuseToStart({ NODE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GATEWAY_CLIENTS_FILE is required/);
  });
  it('refuses a bad variable naming it', () => {
    const r = refuseToStart({ GATEWAY_BODY_LIMIT_BYTES: 'lots' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GATEWAY_BODY_LIMIT_BYTES/);
  });
});

describe('gateway process in development mode', () => {
  /** POST /v1/events signed with credentials taken from the banner's export lines. */
  async function sendAs(url: string, apiKey: string, secret: string): Promise<number> {
    const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
    const headers = signRequest({ apiKey, secret, method: 'POST', target: '/v1/events', body });
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await res.body?.cancel();
    return res.status;
  }

  it('prints export lines once, keeps the dev client (0600) in the data dir, and reuses it after a restart', async () => {
    const dir = tempDir('codex-dev-');
    const devPolicy = writePolicyFile(dir, {
      version: 1,
      clients: { 'dev-*': { actions: ['build'] } },
    });
    const env = { GATEWAY_CLIENTS_FILE: '', GATEWAY_POLICY_FILE: devPolicy };
    const first = await startGateway({ dir, env, startTimeoutMs: 30_000 });
    let apiKey: string | undefined;
    let secret: string | undefined;
    const file = path.join(dir, 'data', 'dev-client.json');
    try {
      const out = first.output.join('\n');
      // Ready to paste: whole `export NAME=value` lines.
      apiKey = /^ {2}export CODEX_API_KEY=(cgk_[0-9a-f]{64})$/m.exec(out)?.[1];
      secret = /^ {2}export CODEX_SIGNING_SECRET=(cgs_[0-9a-f]{64})$/m.exec(out)?.[1];
      expect(apiKey, out).toBeDefined();
      expect(secret, out).toBeDefined();
      expect(out).toMatch(/Development client dev-[0-9a-f]{8} created/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // The file keeps a hash of the API key, never the key.
      expect(readFileSync(file, 'utf8')).not.toContain(apiKey!);
      expect(await sendAs(first.url, apiKey!, secret!)).toBe(200);
      // Logs never repeat the printed credentials.
      await first.logged();
      expect(first.output.filter((l) => l.startsWith('{')).join('\n')).not.toContain(apiKey!);
    } finally {
      await first.stop();
    }
    const second = await startGateway({ dir, env, startTimeoutMs: 30_000 });
    try {
      const out = second.output.join('\n');
      expect(out).toMatch(/Development client dev-[0-9a-f]{8} reused from .*dev-client\.json/);
      expect(out).not.toContain('export CODEX_API_KEY=');
      // The exports printed by the first start still work.
      expect(await sendAs(second.url, apiKey!, secret!)).toBe(200);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('refuses a dev client file readable by others, saying how to fix it', async () => {
    const dir = tempDir('codex-dev-');
    const gw = await startGateway({
      dir,
      env: { GATEWAY_CLIENTS_FILE: '' },
      startTimeoutMs: 30_000,
    });
    await gw.stop();
    const file = path.join(dir, 'data', 'dev-client.json');
    chmodSync(file, 0o644);
    const r = refuseToStart({ GATEWAY_DATA_DIR: path.join(dir, 'data') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dev-client\.json is readable by group or others .*chmod 600 it/);
  }, 120_000);
});

describe('gateway process serving', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ env: { GATEWAY_BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('refuses a chunked body over the limit while reading (no Content-Length)', async () => {
    const headers = signedHeaders(gw, '');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${gw.url}/v1/events`,
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      // Chunked transfer: node sends no Content-Length when none is set and write() is used.
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('refuses a declared oversize body before reading it', async () => {
    const res = await gw.post('/v1/events', 'x'.repeat(5000));
    expect(res.status).toBe(413);
  });

  it('accepts, then refuses the replay, over a real socket', async () => {
    const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
    const headers = signedHeaders(gw, body);
    const send = () =>
      fetch(`${gw.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(409);
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request on SIGTERM and exits 0', async () => {
    const gw = await startGateway();
    const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
    const headers = signedHeaders(gw, body);
    // Send the headers and half the body, signal, then finish the body.
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(
        `${gw.url}/v1/events`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': String(body.length),
            ...headers,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        gw.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 200);
      }, 200);
    });
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', resolve));
    expect(await answer).toBe(200);
    expect(await exit).toBe(0);
  });
});
