import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, toHex } from '../../src/crypto/index.js';
import { signRequest } from '../../src/signing/index.js';
import { testClient } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { createTestApp, fixedPolicy } from '../helpers/test-app.js';

/**
 * `POST /v1/policy/evaluate` (docs/protocol.md §13): the verdict events would get, with no side
 * effect at all — proved on a real server by the audit log size, the nonce store and the
 * rate window before and after many what-if calls.
 */

const RATE = 3;
const policyDoc = {
  version: 1,
  clients: { 'ci-main': { actions: ['build', 'deploy'], ratePerMinute: RATE } },
  deny: { patterns: [{ name: 'rm_root', regex: '\\brm\\s+-rf\\s+/(\\s|$)' }] },
  approvers: { alice: toHex(generateEd25519KeyPair().publicKey) },
  quorum: { deploy: { threshold: 1, approvers: ['alice'] } },
};
const deployEvent = {
  action: 'deploy',
  target: 'acme/web',
  steps: [],
  deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
};
const denyEvent = { ...buildEvent, steps: [{ name: 'x', run: 'rm -rf /' }] };

describe('POST /v1/policy/evaluate on a real server', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ policy: policyDoc, startTimeoutMs: 30_000 });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const evaluate = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/policy/evaluate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': gw.client.apiKey, ...headers },
      body: JSON.stringify(body),
    });
  /** Audit tree size from the signed checkpoint (second line of the note). */
  const auditSize = async (): Promise<number> => {
    const res = await gw.get('/v1/audit/checkpoint');
    expect(res.status).toBe(200);
    return Number((await res.text()).split('\n')[1]);
  };
  const metric = async (name: string): Promise<string[]> => {
    const text = await (await gw.get('/metrics')).text();
    return text.split('\n').filter((l) => l.startsWith(name));
  };

  it('answers as events would, and leaves the audit log, nonces, rate and deploys untouched', async () => {
    const sizeBefore = await auditSize();
    const noncesBefore = await metric('gateway_nonce_store_size');
    expect(noncesBefore).toHaveLength(1);
    const revision = ((await (await gw.get('/v1/policy')).json()) as { revision: string }).revision;

    // A signed what-if: its nonce must not be taken (the route is key-only).
    const eventText = JSON.stringify(buildEvent);
    const signed = signRequest({
      apiKey: gw.client.apiKey,
      secret: gw.client.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body: eventText,
    });
    const answers = [];
    for (let i = 0; i < 8; i++) {
      for (const [event, client] of [
        [buildEvent, 'ci-main'],
        [denyEvent, 'ci-main'],
        [deployEvent, 'ci-main'],
        [buildEvent, 'stranger'],
      ] as const) {
        const res = await evaluate({ client, event }, i === 0 ? signed : {});
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        answers.push(await res.json());
      }
    }
    expect(answers.slice(0, 4)).toEqual([
      { decision: 'allow', reasons: [], policy: revision },
      { decision: 'deny', reasons: ['deny_pattern:rm_root'], policy: revision },
      { decision: 'pending', reasons: [], policy: revision },
      { decision: 'deny', reasons: ['action_not_allowed'], policy: revision },
    ]);

    // Nothing audited, no nonce remembered, no decision or deploy counted.
    expect(await auditSize()).toBe(sizeBefore);
    expect(await metric('gateway_nonce_store_size')).toEqual(noncesBefore);
    expect(await metric('gateway_decisions_total{')).toEqual([]);

    // 32 what-ifs took no rate: the whole window is still there, and the what-if's
    // nonce is still fresh for the real request it was signed for.
    const first = await fetch(`${gw.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed },
      body: eventText,
    });
    expect(first.status).toBe(200);
    for (let i = 1; i < RATE; i++) expect((await gw.post('/v1/events')).status).toBe(200);
    expect((await gw.post('/v1/events')).status).toBe(429);
    expect(await auditSize()).toBe(sizeBefore + RATE);
    // The what-if still answers while the client is rate limited: it uses no rate.
    expect((await evaluate({ client: 'ci-main', event: buildEvent })).status).toBe(200);
  }, 60_000);
});

describe('POST /v1/policy/evaluate: auth and bounds', () => {
  const tester = testClient('tester', ['policy:test']);
  const writer = testClient('ci-main', ['events:write', 'audit:read']);
  const call = async (
    t: Awaited<ReturnType<typeof createTestApp>>,
    body: string,
    apiKey = tester.apiKey,
    contentType = 'application/json',
  ) =>
    t.app.request('/v1/policy/evaluate', {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-api-key': apiKey },
      body,
    });
  const ok = JSON.stringify({ client: 'ci-main', event: buildEvent });

  it('needs the policy:test scope (401 without a key, 403 without the scope)', async () => {
    const t = await createTestApp({ clients: [tester, writer] });
    expect((await call(t, ok, 'nope')).status).toBe(401);
    const res = await call(t, ok, writer.apiKey);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('insufficient_scope');
    expect((await call(t, ok)).status).toBe(200);
  });

  it('refuses a body over the events limit (413), a bad shape (400) and another media type (415)', async () => {
    const t = await createTestApp({ clients: [tester, writer], bodyLimitBytes: 1024 });
    const big = JSON.stringify({
      client: 'ci-main',
      event: { ...buildEvent, metadata: { pad: 'x'.repeat(2000) } },
    });
    expect((await call(t, big)).status).toBe(413);
    for (const body of [
      JSON.stringify({ client: 'ci-main', event: { ...buildEvent, extra: 1 } }),
      JSON.stringify({ client: 'bad id!', event: buildEvent }),
      JSON.stringify({ client: 'ci-main', event: buildEvent, more: 1 }),
      '{"client":"a","client":"b","event":{}}',
    ]) {
      const res = await call(t, body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('invalid_body');
    }
    expect((await call(t, ok, tester.apiKey, 'text/plain')).status).toBe(415);
  });

  it('answers deny no_active_policy with policy null when no good policy was ever loaded', async () => {
    const t = await createTestApp({
      clients: [tester, writer],
      policy: { current: () => undefined, status: () => ({}) },
    });
    const res = await call(t, ok);
    expect(await res.json()).toEqual({
      decision: 'deny',
      reasons: ['no_active_policy'],
      policy: null,
    });
  });

  it('denies with the evaluation budget an event too costly to examine, like events', async () => {
    const t = await createTestApp({
      clients: [tester, writer],
      bodyLimitBytes: 8 * 1024 * 1024,
      policy: fixedPolicy({ version: 1, clients: { 'ci-main': { actions: ['build'] } } }),
    });
    // NFKC expands U+FDFA 18-fold: 256 Ki of them exceed the folded-text bound.
    const event = { ...buildEvent, metadata: { a: '\ufdfa'.repeat(256 * 1024) } };
    const res = await call(t, JSON.stringify({ client: 'ci-main', event }));
    expect(await res.json()).toMatchObject({ decision: 'deny', reasons: ['evaluation_limit'] });
  });
});
