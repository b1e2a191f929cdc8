import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, signEd25519, toHex } from '../../src/crypto/index.js';
import { signRequest } from '../../src/signing/index.js';
import { tempDir, testClient, writeClientsFile } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { deployEvent } from './quorum-app.js';

/**
 * Issue 13 item 10: one client may hold at most GATEWAY_PENDING_DEPLOYS_PER_CLIENT open
 * deploys (pending and unexpired), in memory mode and in Redis mode, so it can neither
 * grow Redis without bound nor fill the in-memory store for every other client. Beyond the
 * cap the event is 429 `rate_limited` with a Retry-After and a detail that names the cap;
 * other clients are unaffected, and an approved deploy frees its place. On the old code
 * the third deploy was simply held (202): the variable did not exist.
 */
const CAP = 2;
const redis = await sharedRedis('pending-cap');

function suite(mode: 'memory' | 'redis'): void {
  let gw: GatewayProcess;
  const dir = tempDir('codex-pending-cap-');
  const main = testClient('ci-main');
  const other = testClient('ci-other');
  const keys = new Map(['alice', 'bob'].map((n) => [n, generateEd25519KeyPair()]));

  beforeAll(async () => {
    gw = await startGateway({
      client: main,
      startTimeoutMs: 30_000,
      policy: {
        version: 1,
        clients: {
          'ci-main': { actions: ['build', 'deploy'] },
          'ci-other': { actions: ['build', 'deploy'] },
        },
        approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
        quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob'], ttlSeconds: 600 } },
      },
      env: {
        GATEWAY_CLIENTS_FILE: writeClientsFile(dir, [main, other]),
        GATEWAY_PENDING_DEPLOYS_PER_CLIENT: String(CAP),
        ...(mode === 'redis' && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
      },
    });
  }, 40_000);
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const postAs = (who: typeof main) => {
    const body = JSON.stringify(deployEvent);
    const headers = signRequest({
      apiKey: who.apiKey,
      secret: who.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body,
    });
    return fetch(`${gw.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  };
  const approve = (deploy: { id: string; message: string }, name: string) =>
    fetch(`${gw.url}/v1/deploys/${deploy.id}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': main.apiKey },
      body: JSON.stringify({
        approver: name,
        signature: toHex(
          signEd25519(new TextEncoder().encode(deploy.message), keys.get(name)!.secretKey),
        ),
      }),
    });

  it('refuses the deploy beyond the per-client cap with 429, other clients unaffected', async () => {
    const held: Array<{ id: string; message: string }> = [];
    for (let i = 0; i < CAP; i++) {
      const res = await postAs(main);
      expect(res.status).toBe(202);
      held.push(((await res.json()) as { deploy: { id: string; message: string } }).deploy);
    }
    const refused = await postAs(main);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe('rate_limited');
    expect(problem.detail).toMatch(/open deploys/);

    // Another client still gets its deploys held.
    expect((await postAs(other)).status).toBe(202);

    // An approved deploy is no longer open: its place is free again.
    expect((await approve(held[0]!, 'alice')).status).toBe(200);
    expect((await approve(held[0]!, 'bob')).status).toBe(200);
    expect((await postAs(main)).status).toBe(202);
    expect((await postAs(main)).status).toBe(429);
  });
}

describe('per-client cap on open deploys (memory mode, real server)', () => suite('memory'));
describeWithRedis(redis, 'per-client cap on open deploys (Redis mode, real server)', () =>
  suite('redis'),
);
