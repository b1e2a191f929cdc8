import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { tempDir, testClient, writeClientsFile } from '../helpers/credentials.js';
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
  it('prints a dev- client once, and its credentials work', async () => {
    const gw = await startGateway({ env: { GATEWAY_CLIENTS_FILE: '' } });
    try {
      const out = gw.output.join('\n');
      const apiKey = /API key:\s+(\S+)/.exec(out)?.[1];
      const secret = /signing secret:\s+(\S+)/.exec(out)?.[1];
      expect(/client id:\s+(dev-[0-9a-f]{8})/.exec(out)).not.toBeNull();
      expect(apiKey).toBeDefined();
      const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
      const headers = signRequest({
        apiKey: apiKey!,
        secret: secret!,
        method: 'POST',
        target: '/v1/events',
        body,
      });
      const res = await fetch(`${gw.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      // The test policy lists only ci-main, so the dev client is authenticated and then judged by policy.
      expect([200, 403]).toContain(res.status);
      expect(
        res.status === 200 || ((await res.json()) as { code: string }).code === 'policy_denied',
      ).toBe(true);
      // Logs never repeat the printed credentials.
      expect(gw.output.filter((l) => l.startsWith('{')).join('\n')).not.toContain(apiKey!);
    } finally {
      await gw.stop();
    }
  });
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
