import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, toHex } from '../../src/crypto/index.js';
import { verifyReleaseAttestation } from '../../src/verify/index.js';
import { tempDir, testClient, writeClientsFile } from '../helpers/credentials.js';
import { deployQuorum } from '../helpers/deploy-quorum.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { independentVerify } from './independent-release-verifier.js';

/**
 * Issue 14 acceptance, through real gateway processes: a held GET answers within a second
 * of the quorum, in memory mode and in Redis mode with the approvals sent to ANOTHER
 * instance; the attestation is served byte-identically and verifies with both the
 * project's verifier and the independent one.
 */
const client = testClient('ci-main');
const { keys, policy, approve } = deployQuorum(client);
const policyText = JSON.stringify(policy);

async function openDeploy(g: GatewayProcess) {
  const artifact = `sha256:${sha256Hex(`artifact ${Math.random()}`)}`;
  const res = await g.post('/v1/events', {
    action: 'deploy',
    target: 'acme/web',
    steps: [],
    deploy: { environment: 'prod', artifact },
  });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { deploy: { id: string; message: string } };
  return { artifact, ...body.deploy };
}

/** Holds a wait on `waiter`, approves twice on `approver`, measures the gap. */
async function waitAcross(waiter: GatewayProcess, approver: GatewayProcess) {
  const deploy = await openDeploy(waiter);
  const started = Date.now();
  const held = waiter.get(`/v1/deploys/${deploy.id}?wait=30`).then(async (res) => ({
    at: Date.now(),
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
  }));
  await new Promise((r) => setTimeout(r, 700));
  expect((await approve(approver, deploy, 'alice')).status).toBe(200);
  // One approval is not a state change: still held.
  await new Promise((r) => setTimeout(r, 300));
  const second = await approve(approver, deploy, 'bob');
  const quorumAt = Date.now();
  expect(second.status).toBe(200);
  const answer = await held;
  return { deploy, answer, quorumAt, started };
}

async function checkAttestation(g: GatewayProcess, other: GatewayProcess, deploy: { id: string; artifact: string }) {
  const vkey = ((await (await g.get('/v1/audit/key')).json()) as { vkey: string }).vkey;
  const first = await g.get(`/v1/deploys/${deploy.id}/attestation`);
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await first.text();
  // Served byte for byte the same afterwards, from either instance.
  expect(await (await g.get(`/v1/deploys/${deploy.id}/attestation`)).text()).toBe(text);
  expect(await (await other.get(`/v1/deploys/${deploy.id}/attestation`)).text()).toBe(text);
  const result = verifyReleaseAttestation({
    attestation: text,
    artifact: deploy.artifact,
    vkey,
    policy: policyText,
    environment: 'prod',
    target: 'acme/web',
  });
  expect(result.ok ? result.approvers : result.reason).toEqual(['alice', 'bob']);
  return { text, vkey };
}

describe('waiting and attestations, memory mode', () => {
  let g: GatewayProcess;
  beforeAll(async () => {
    g = await startGateway({ client, policy, startTimeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await g?.stop();
    if (g !== undefined) rmSync(g.dir, { recursive: true, force: true });
  });

  it('answers a held GET within a second of the quorum, with approvals and decision', async () => {
    const { deploy, answer, quorumAt, started } = await waitAcross(g, g);
    expect(answer.status).toBe(200);
    expect(answer.body['state']).toBe('approved');
    expect(answer.at - quorumAt).toBeLessThan(1000);
    expect(answer.at - started).toBeGreaterThan(900); // it was held, not answered at once
    const approvals = answer.body['approvals'] as { approver: string; publicKey: string }[];
    expect(approvals.map((a) => a.approver)).toEqual(['alice', 'bob']);
    expect(approvals[0]!.publicKey).toBe(toHex(keys.get('alice')!.publicKey));
    expect(answer.body['decision']).toMatchObject({ index: expect.any(Number) });

    const { text, vkey } = await checkAttestation(g, g, deploy);
    expect(
      independentVerify({
        envelope: text,
        artifact: deploy.artifact,
        vkey,
        quorum: { action: 'deploy', threshold: 2, approvers: ['alice', 'bob', 'carol'] },
        keys: policy.approvers,
      }),
    ).toBe('ok');
  }, 60_000);

  it('refuses a bad wait, answers 409 before approval and 404 for unknown ids', async () => {
    const deploy = await openDeploy(g);
    for (const wait of ['61', '-1', '1.5', 'x', '999999999999'])
      expect((await g.get(`/v1/deploys/${deploy.id}?wait=${wait}`)).status).toBe(400);
    const t0 = Date.now();
    const timedOut = await g.get(`/v1/deploys/${deploy.id}?wait=1`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(((await timedOut.json()) as { state: string }).state).toBe('pending');
    const early = await g.get(`/v1/deploys/${deploy.id}/attestation`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code: string }).code).toBe('deploy_not_approved');
    const unknown = await g.get(`/v1/deploys/${'ab'.repeat(16)}/attestation`);
    expect(unknown.status).toBe(404);
  }, 30_000);

  it('caps held requests per client and frees a slot when its client disconnects', async () => {
    const deploy = await openDeploy(g);
    const aborts = Array.from({ length: 16 }, () => new AbortController());
    const held = aborts.map((a) =>
      fetch(`${g.url}/v1/deploys/${deploy.id}?wait=30`, {
        headers: { 'x-api-key': client.apiKey },
        signal: a.signal,
      }).catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 500));
    const over = await g.get(`/v1/deploys/${deploy.id}?wait=30`);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    for (const a of aborts) a.abort();
    await Promise.all(held);
    await new Promise((r) => setTimeout(r, 300));
    const again = await g.get(`/v1/deploys/${deploy.id}?wait=1`);
    expect(again.status).toBe(200);
  }, 30_000);
});

const env = await sharedRedis('wait-release-e2e');

describeWithRedis(env, 'waiting and attestations across two instances (Redis)', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let shared: string;
  beforeAll(async () => {
    shared = tempDir('codex-wait-redis-');
    const redisEnv = {
      REDIS_URL: env.url,
      REDIS_PREFIX: env.prefix,
      GATEWAY_CLIENTS_FILE: writeClientsFile(shared, [client]),
    };
    // One after the other: two tsx start-ups at once on a loaded machine can pass 20 s.
    a = await startGateway({ client, policy, env: redisEnv, startTimeoutMs: 60_000 });
    b = await startGateway({ client, policy, env: redisEnv, startTimeoutMs: 60_000 });
  }, 150_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const dir of [a?.dir, b?.dir, shared]) if (dir) rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  it('wakes a GET held on one instance when the quorum is reached on the other', async () => {
    const { deploy, answer, quorumAt, started } = await waitAcross(a, b);
    expect(answer.body['state']).toBe('approved');
    expect(answer.at - quorumAt).toBeLessThan(1000);
    expect(answer.at - started).toBeGreaterThan(900);
    // Built once by the instance whose log holds the allow entry (here each instance has
    // its own file log; with PostgreSQL there is one), then served identically by both.
    await checkAttestation(b, a, deploy);
  }, 60_000);
});
