import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/test-app.js';
import { testClient } from '../helpers/credentials.js';
import { signRequest } from '../../src/signing/index.js';
import { parseVkey, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyInclusion } from '../../src/audit/merkle.js';
import { fromHex } from '../../src/crypto/index.js';

const event = JSON.stringify({
  action: 'build',
  target: 'acme/web',
  steps: [{ name: 'lint', run: 'npm run lint' }],
});

async function problem(res: Response): Promise<{ code: string; status: number }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { code: string; status: number };
}

async function expectCode(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect((await problem(res)).code).toBe(code);
}

describe('POST /v1/events', () => {
  describe('when the request is correctly signed', () => {
    it('answers 200 allow with a decision id, the policy revision and an audit receipt', async () => {
      const t = await createTestApp();
      const res = await t.send(event);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        decision: 'allow',
        policy: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      expect(body.id).toMatch(/^[0-9a-f]{32}$/);
      expect(body.audit).toMatchObject({
        index: 0,
        leafHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      // docs/protocol.md §9: the receipt verifies on its own with the log key.
      const receipt = body.audit as {
        index: number;
        leafHash: string;
        checkpoint: string;
        proof: string[];
      };
      const cp = verifyCheckpoint(receipt.checkpoint, parseVkey(t.auditReader!.key().vkey));
      expect(cp.size).toBeGreaterThan(receipt.index);
      expect(
        verifyInclusion(
          fromHex(receipt.leafHash),
          receipt.index,
          cp.size,
          receipt.proof.map(fromHex),
          cp.root,
        ),
      ).toBe(true);
    });

    it('accepts a header with two signatures where only the second is valid (rotation)', async () => {
      const t = await createTestApp();
      const headers = signRequest({
        apiKey: t.client.apiKey,
        secret: t.client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body: event,
        timestamp: Math.floor(t.clock.ms / 1000),
      });
      const res = await t.app.request('/v1/events', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...headers,
          'x-codex-sig': `v1=${'0'.repeat(64)}, ${headers['x-codex-sig']}`,
        },
        body: event,
      });
      expect(res.status).toBe(200);
    });

    it("accepts a signature made with any of the client's secrets", async () => {
      const c = testClient('ci-rot');
      const rotated = {
        ...c,
        entry: { ...c.entry, signingSecrets: ['x'.repeat(40), c.signingSecret] },
      };
      const t = await createTestApp({ clients: [rotated] });
      expect((await t.send(event)).status).toBe(200);
    });
  });

  describe('authentication (check 1)', () => {
    it('refuses a missing API key with invalid_api_key', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { headers: { 'x-api-key': '' } }),
        401,
        'invalid_api_key',
      );
    });
    it('refuses an unknown API key with invalid_api_key', async () => {
      const t = await createTestApp();
      await expectCode(await t.send(event, { as: testClient('ghost') }), 401, 'invalid_api_key');
    });
    it('refuses a client without events:write with insufficient_scope', async () => {
      const reader = testClient('auditor', ['audit:read']);
      const t = await createTestApp({ clients: [testClient(), reader] });
      await expectCode(await t.send(event, { as: reader }), 403, 'insufficient_scope');
    });
  });

  describe('signature headers (check 2)', () => {
    const garbled: Array<[string, Record<string, string>]> = [
      ['no timestamp', { 'x-codex-timestamp': '' }],
      ['no nonce', { 'x-codex-nonce': '' }],
      ['no signature', { 'x-codex-sig': '' }],
      ['timestamp with letters', { 'x-codex-timestamp': '1614265330abc' }],
      ['timestamp in exponent form', { 'x-codex-timestamp': '1e9' }],
      ['timestamp Infinity', { 'x-codex-timestamp': 'Infinity' }],
      ['timestamp with a plus', { 'x-codex-timestamp': '+1614265330' }],
      [
        'timestamp with a space inside (HTTP trims only the ends)',
        { 'x-codex-timestamp': '1614 265330' },
      ],
      ['duplicated timestamp', { 'x-codex-timestamp': '1614265330, 1614265330' }],
      ['short nonce', { 'x-codex-nonce': 'abc' }],
      ['nonce with a bad character', { 'x-codex-nonce': 'abcdefghijklmnop!' }],
      ['duplicated nonce', { 'x-codex-nonce': 'abcdefghijklmnop, abcdefghijklmnop' }],
      ['signature without v1=', { 'x-codex-sig': 'a'.repeat(64) }],
      ['signature in upper-case hex', { 'x-codex-sig': `v1=${'A'.repeat(64)}` }],
      ['signature too short', { 'x-codex-sig': `v1=${'a'.repeat(63)}` }],
      ['unknown scheme', { 'x-codex-sig': `v2=${'a'.repeat(64)}` }],
      [
        'too many signatures',
        {
          'x-codex-sig': Array(9)
            .fill(`v1=${'a'.repeat(64)}`)
            .join(','),
        },
      ],
    ];
    it.each(garbled)('refuses %s with malformed_signature', async (_name, headers) => {
      const t = await createTestApp();
      await expectCode(await t.send(event, { headers }), 401, 'malformed_signature');
    });
  });

  describe('timestamp window (check 3)', () => {
    it('refuses a timestamp older than the tolerance', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { timestamp: Math.floor(t.clock.ms / 1000) - 301 }),
        401,
        'timestamp_out_of_range',
      );
    });
    it('refuses a timestamp further in the future than the tolerance', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { timestamp: Math.floor(t.clock.ms / 1000) + 302 }),
        401,
        'timestamp_out_of_range',
      );
    });
    it('accepts a timestamp at the edge of the window', async () => {
      const t = await createTestApp();
      expect((await t.send(event, { timestamp: Math.floor(t.clock.ms / 1000) - 299 })).status).toBe(
        200,
      );
    });
  });

  describe('signature (check 4)', () => {
    it('refuses a signature made with the wrong secret', async () => {
      const t = await createTestApp();
      const impostor = { ...t.client, signingSecret: 'y'.repeat(40) };
      await expectCode(await t.send(event, { as: impostor }), 401, 'invalid_signature');
    });
    it('refuses a body changed by one byte', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { sendBody: event.replace('lint"', 'lint ') }),
        401,
        'invalid_signature',
      );
    });
    it('refuses a changed path (query added)', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { target: '/v1/events?dry_run=1', signTarget: '/v1/events' }),
        401,
        'invalid_signature',
      );
    });
    it('refuses a request signed for another method', async () => {
      const t = await createTestApp();
      await expectCode(await t.send(event, { signMethod: 'PUT' }), 401, 'invalid_signature');
    });
    it('signs the query too: a signed query is accepted', async () => {
      const t = await createTestApp();
      expect((await t.send(event, { target: '/v1/events?dry_run=1' })).status).toBe(200);
    });
  });

  describe('replay (check 6)', () => {
    it('refuses the same nonce a second time with replayed_nonce', async () => {
      const t = await createTestApp();
      const nonce = 'n'.repeat(24);
      expect((await t.send(event, { nonce })).status).toBe(200);
      await expectCode(await t.send(event, { nonce }), 409, 'replayed_nonce');
    });
    it('keeps nonces per client: another client may use the same nonce', async () => {
      const other = testClient('ci-other');
      const t = await createTestApp({ clients: [testClient(), other] });
      const nonce = 'm'.repeat(24);
      expect((await t.send(event, { nonce })).status).toBe(200);
      expect((await t.send(event, { nonce, as: other })).status).toBe(200);
    });
  });

  describe('body (check 7 and the limit)', () => {
    it('refuses an oversize body announced by Content-Length with payload_too_large', async () => {
      const t = await createTestApp({ bodyLimitBytes: 1024 });
      const big = JSON.stringify({
        action: 'build',
        target: 'a',
        steps: [],
        metadata: { pad: 'x'.repeat(2000) },
      });
      await expectCode(await t.send(big), 413, 'payload_too_large');
    });
    it('refuses an oversize streamed body without Content-Length', async () => {
      const t = await createTestApp({ bodyLimitBytes: 1024 });
      const chunk = new TextEncoder().encode('x'.repeat(600));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk);
          controller.enqueue(chunk);
          controller.close();
        },
      });
      const headers = signRequest({
        apiKey: t.client.apiKey,
        secret: t.client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body: '',
      });
      const res = await t.app.request('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectCode(res, 413, 'payload_too_large');
    });
    it('refuses invalid UTF-8 with invalid_body', async () => {
      const t = await createTestApp();
      const bytes = new Uint8Array([
        ...new TextEncoder().encode('{"action":"build","target":"a'),
        0xff,
        0xfe,
        ...new TextEncoder().encode('","steps":[]}'),
      ]);
      await expectCode(await t.send(bytes), 400, 'invalid_body');
    });
    it('refuses invalid JSON with invalid_body', async () => {
      const t = await createTestApp();
      await expectCode(await t.send('{"action":'), 400, 'invalid_body');
    });
    it('refuses a wrong Content-Type with unsupported_media_type', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported_media_type',
      );
    });
    it('refuses a non-UTF-8 charset with unsupported_media_type', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(event, { headers: { 'content-type': 'application/json; charset=latin1' } }),
        415,
        'unsupported_media_type',
      );
    });
    it('refuses unknown fields at the top level and in steps', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(JSON.stringify({ action: 'build', target: 'a', steps: [], extra: 1 })),
        400,
        'invalid_body',
      );
      await expectCode(
        await t.send(
          JSON.stringify({
            action: 'build',
            target: 'a',
            steps: [{ name: 'n', run: '', sudo: true }],
          }),
        ),
        400,
        'invalid_body',
      );
    });
    it('refuses metadata nested deeper than 8 and accepts depth 8', async () => {
      const t = await createTestApp();
      const nest = (d: number): unknown => (d === 0 ? 'leaf' : { k: nest(d - 1) });
      expect(
        (
          await t.send(
            JSON.stringify({ action: 'build', target: 'a', steps: [], metadata: nest(8) }),
          )
        ).status,
      ).toBe(200);
      await expectCode(
        await t.send(
          JSON.stringify({ action: 'build', target: 'a', steps: [], metadata: nest(9) }),
        ),
        400,
        'invalid_body',
      );
    });
    it('refuses __proto__ and constructor keys', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send('{"action":"build","target":"a","steps":[],"__proto__":{"x":1}}'),
        400,
        'invalid_body',
      );
      await expectCode(
        await t.send(
          '{"action":"build","target":"a","steps":[],"metadata":{"a":{"__proto__":{"admin":true}}}}',
        ),
        400,
        'invalid_body',
      );
      await expectCode(
        await t.send(
          '{"action":"build","target":"a","steps":[],"metadata":{"constructor":{"prototype":1}}}',
        ),
        400,
        'invalid_body',
      );
    });
    it('requires deploy for action deploy and forbids it otherwise', async () => {
      const t = await createTestApp();
      await expectCode(
        await t.send(JSON.stringify({ action: 'deploy', target: 'a', steps: [] })),
        400,
        'invalid_body',
      );
      const deploy = { environment: 'prod', artifact: `sha256:${'a'.repeat(64)}` };
      await expectCode(
        await t.send(JSON.stringify({ action: 'build', target: 'a', steps: [], deploy })),
        400,
        'invalid_body',
      );
    });
    it('does not audit a refused request', async () => {
      const t = await createTestApp();
      await t.send('{"action":');
      await t.send(event, { headers: { 'x-codex-sig': `v1=${'0'.repeat(64)}` } });
      expect(t.auditReader!.size()).toBe(0);
    });
  });

  describe('when no valid policy was ever loaded', () => {
    it('denies every event with no_active_policy and audits it with policy null', async () => {
      const t = await createTestApp({ policy: { current: () => undefined, status: () => ({}) } });
      const res = await t.send(event);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        code: 'policy_denied',
        decision: 'deny',
        reasons: ['no_active_policy'],
        policy: null,
      });
      const [stored] = await t.auditReader!.entries(0, 1);
      expect(stored?.entry).toMatchObject({
        type: 'decision',
        decision: 'deny',
        policy: null,
        reasons: ['no_active_policy'],
      });
    });
  });

  describe('other routes', () => {
    it('answers unknown paths with problem+json not_found', async () => {
      const t = await createTestApp();
      await expectCode(await t.app.request('/nope'), 404, 'not_found');
    });
    it('answers /healthz and /readyz', async () => {
      const t = await createTestApp();
      expect((await t.app.request('/healthz')).status).toBe(200);
      expect((await t.app.request('/readyz')).status).toBe(200);
    });
  });
});
