import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateEd25519KeyPair, signEd25519, toHex } from '../../src/crypto/index.js';
import { signRequest } from '../../src/signing/index.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, testClient, writeClientsFile } from '../helpers/credentials.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';

const env = await sharedRedis('multi-instance-e2e');

/**
 * Acceptance for issue #6: two real gateway processes on different ports share one Redis.
 */
describeWithRedis(env, 'two gateway processes sharing one Redis', () => {
  const client = testClient('ci-main');
  const limited = testClient('ci-limited');
  const keys = new Map(['alice', 'bob', 'carol'].map((n) => [n, generateEd25519KeyPair()]));
  const policy = {
    version: 1,
    clients: {
      [client.id]: { actions: ['build', 'deploy'] },
      [limited.id]: { actions: ['build'], ratePerMinute: 60 },
    },
    approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
    quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
  };
  let a: GatewayProcess;
  let b: GatewayProcess;
  let sharedDir: string | undefined;

  beforeAll(async () => {
    // Both processes read one clients file holding both clients.
    const shared = tempDir('codex-multi-');
    sharedDir = shared;
    const redisEnv = {
      REDIS_URL: env.url,
      REDIS_PREFIX: env.prefix,
      GATEWAY_CLIENTS_FILE: writeClientsFile(shared, [client, limited]),
    };
    [a, b] = await Promise.all([
      startGateway({ client, policy, env: redisEnv }),
      startGateway({ client, policy, env: redisEnv }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const dir of [a?.dir, b?.dir, sharedDir])
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** One signed request, as raw fetch arguments that can be sent to any instance. */
  function signed(credentials = client, body: unknown = buildEvent) {
    const text = JSON.stringify(body);
    const headers = signRequest({
      apiKey: credentials.apiKey,
      secret: credentials.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body: text,
    });
    return (g: GatewayProcess) =>
      fetch(`${g.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: text,
      });
  }

  it('runs both instances in Redis mode and reports Redis ready', async () => {
    for (const g of [a, b]) {
      expect(g.output.join('\n')).toContain('"mode":"redis"');
      const ready = await fetch(`${g.url}/readyz`);
      expect(ready.status).toBe(200);
    }
  });

  it('accepts the same signed request exactly once when sent to both at once (200 times)', async () => {
    for (let batch = 0; batch < 10; batch++) {
      const pairs = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const send = signed();
          const [ra, rb] = await Promise.all([send(a), send(b)]);
          return [ra.status, rb.status].sort();
        }),
      );
      for (const statuses of pairs) expect(statuses).toEqual([200, 409]);
    }
  }, 60_000);

  it('refuses a replay sent to the other instance', async () => {
    const send = signed();
    expect((await send(a)).status).toBe(200);
    const replay = await send(b);
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { code: string }).code).toBe('replayed_nonce');
  });

  it('approves a deploy created on A once through A and once through B: approved on both', async () => {
    const created = await signed(client, {
      action: 'deploy',
      target: 'acme/web',
      steps: [],
      deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
    })(a);
    expect(created.status).toBe(202);
    const { deploy } = (await created.json()) as { deploy: { id: string; message: string } };
    const approve = (g: GatewayProcess, name: string) =>
      fetch(`${g.url}/v1/deploys/${deploy.id}/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': client.apiKey },
        body: JSON.stringify({
          approver: name,
          signature: toHex(
            signEd25519(new TextEncoder().encode(deploy.message), keys.get(name)!.secretKey),
          ),
        }),
      });
    expect((await approve(a, 'alice')).status).toBe(200);
    expect((await approve(b, 'alice')).status).toBe(409);
    expect((await approve(b, 'bob')).status).toBe(200);
    for (const g of [a, b]) {
      const view = (await (await g.get(`/v1/deploys/${deploy.id}`)).json()) as {
        state: string;
        approvedBy: string[];
      };
      expect(view.state).toBe('approved');
      expect(view.approvedBy).toEqual(['alice', 'bob']);
    }
    expect((await approve(a, 'carol')).status).toBe(410);
  });

  it('never double counts concurrent approvals through both instances', async () => {
    const created = await signed(client, {
      action: 'deploy',
      target: 'acme/api',
      steps: [],
      deploy: { environment: 'prod', artifact: `sha256:${'cd'.repeat(32)}` },
    })(b);
    expect(created.status).toBe(202);
    const { deploy } = (await created.json()) as { deploy: { id: string; message: string } };
    const body = (name: string) =>
      JSON.stringify({
        approver: name,
        signature: toHex(
          signEd25519(new TextEncoder().encode(deploy.message), keys.get(name)!.secretKey),
        ),
      });
    const statuses = await Promise.all(
      ['alice', 'bob', 'carol'].flatMap((name) =>
        [a, b, a, b].map((g) =>
          fetch(`${g.url}/v1/deploys/${deploy.id}/approvals`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': client.apiKey },
            body: body(name),
          }).then((r) => r.status),
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.every((s) => s === 200 || s === 409 || s === 410)).toBe(true);
    const view = (await (await a.get(`/v1/deploys/${deploy.id}`)).json()) as {
      state: string;
      approvedBy: string[];
    };
    expect(view.state).toBe('approved');
    expect(new Set(view.approvedBy).size).toBe(2);
  });

  it('holds ratePerMinute: 60 across both instances; the rest get 429 with Retry-After', async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => signed(limited)(i % 2 === 0 ? a : b)),
    );
    const ok = responses.filter((r) => r.status === 200);
    const limitedOut = responses.filter((r) => r.status === 429);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(60);
    expect(ok.length + limitedOut.length).toBe(200);
    for (const r of limitedOut) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await r.json()) as { code: string }).code).toBe('rate_limited');
    }
  }, 60_000);
});
