import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noteVerifier, parseVkey, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { canonicalize } from '../../src/audit/jcs.js';
import { fromHex, sha256Hex } from '../../src/crypto/index.js';
import { MAX_ENTRIES_PER_REQUEST } from '../../src/http/routes/audit-routes.js';
import { testClient } from '../helpers/credentials.js';
import { createTestApp } from '../helpers/test-app.js';
import { openStack, ORIGIN, removeDir, type AuditStack } from '../audit/audit-stack.js';
import { refVerifyConsistency, refVerifyInclusion } from '../audit/independent-verifier.js';

let stack: AuditStack;
let t: Awaited<ReturnType<typeof createTestApp>>;
const reader = testClient('auditor', ['audit:read']);
const writer = testClient('ci-main', ['events:write']);

beforeEach(async () => {
  stack = await openStack();
  t = await createTestApp({
    clients: [writer, reader],
    audit: stack.service,
    auditReader: stack.service,
  });
});
afterEach(async () => {
  await stack.close();
  removeDir(stack.dir);
});

const get = (target: string, key = reader.apiKey) =>
  t.app.request(target, { headers: { 'x-api-key': key } });
async function json(target: string): Promise<Record<string, unknown>> {
  const res = await get(target);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}
async function sendEvents(
  n: number,
): Promise<Array<{ body: string; index: number; leafHash: string }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ action: 'build', target: `acme/web-${i}`, steps: [] });
    const res = await t.send(body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { audit: { index: number; leafHash: string } };
    out.push({ body, ...answer.audit });
  }
  return out;
}

describe('audit read routes through the real app', () => {
  it('links every accepted decision to an entry whose request digest is the sha256 of the body sent', async () => {
    const sent = await sendEvents(4);
    for (const s of sent) {
      const e = await json(`/v1/audit/entries/${s.index}`);
      expect(e['leafHash']).toBe(s.leafHash);
      expect(e['leaf']).toBe(canonicalize(e['entry']));
      expect(e['entry']).toMatchObject({
        v: 1,
        type: 'decision',
        decision: 'allow',
        client: 'ci-main',
        request: `sha256:${sha256Hex(s.body)}`,
      });
      // Digest only: neither the body nor any part of it beyond the decided fields.
      expect(e['leaf']).not.toContain('steps');
    }
  });

  it('serves a C2SP checkpoint as text/plain signed by the key it publishes', async () => {
    await sendEvents(3);
    const key = await json('/v1/audit/key');
    expect(key['origin']).toBe(ORIGIN);
    expect(key['publicKey']).toMatch(/^[0-9a-f]{64}$/);
    const verifier = parseVkey(key['vkey'] as string);
    expect(verifier.name).toBe(ORIGIN);
    const res = await get('/v1/audit/checkpoint');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const cp = verifyCheckpoint(
      await res.text(),
      noteVerifier(ORIGIN, fromHex(key['publicKey'] as string)),
    );
    expect(cp.size).toBe(stack.service.size());
  });

  it('gives inclusion and consistency proofs that verify against the signed checkpoint independently', async () => {
    const sent = await sendEvents(6);
    const cp = verifyCheckpoint(
      await (await get('/v1/audit/checkpoint')).text(),
      parseVkey((await json('/v1/audit/key'))['vkey'] as string),
    );
    for (const s of sent) {
      const p = await json(`/v1/audit/proofs/inclusion?index=${s.index}&size=${cp.size}`);
      expect(p).toMatchObject({ index: s.index, size: cp.size, leafHash: s.leafHash });
      const proof = (p['proof'] as string[]).map(fromHex);
      expect(refVerifyInclusion(s.index, cp.size, fromHex(s.leafHash), proof, cp.root)).toBe(true);
    }
    const early = await json('/v1/audit/proofs/inclusion?index=0&size=2');
    const c = await json(`/v1/audit/proofs/consistency?from=2&to=${cp.size}`);
    const ok = refVerifyConsistency(
      2,
      cp.size,
      fromHex(early['root'] as string),
      cp.root,
      (c['proof'] as string[]).map(fromHex),
    );
    expect(ok).toBe(true);
    expect((await json('/v1/audit/proofs/consistency?from=3'))['to']).toBe(cp.size);
  });

  it('returns bounded batches of entries', async () => {
    await sendEvents(3);
    const batch = await json('/v1/audit/entries?start=1&count=2');
    expect((batch['entries'] as Array<{ index: number }>).map((e) => e.index)).toEqual([1, 2]);
    const tooMany = await get(`/v1/audit/entries?start=0&count=${MAX_ENTRIES_PER_REQUEST + 1}`);
    expect(tooMany.status).toBe(400);
  });

  it.each([
    '/v1/audit/entries/3',
    '/v1/audit/entries/-1',
    '/v1/audit/entries/+1',
    '/v1/audit/entries/%201',
    '/v1/audit/entries/1e0',
    '/v1/audit/entries/0x1',
    '/v1/audit/entries/1.0',
    '/v1/audit/entries/9999999999999999',
    '/v1/audit/entries?start=0&count=0',
    '/v1/audit/entries?start=2&count=2',
    '/v1/audit/proofs/inclusion?index=3',
    '/v1/audit/proofs/inclusion?index=0&size=4',
    '/v1/audit/proofs/inclusion?index=0&size=0',
    '/v1/audit/proofs/inclusion?index=+0',
    '/v1/audit/proofs/inclusion?index=%200',
    '/v1/audit/proofs/inclusion?index=0&index=1',
    '/v1/audit/proofs/inclusion',
    '/v1/audit/proofs/consistency?from=0&to=2',
    '/v1/audit/proofs/consistency?from=3&to=2',
    '/v1/audit/proofs/consistency?from=1&to=4',
    '/v1/audit/proofs/consistency?from=',
    '/v1/audit/proofs/consistency',
  ])('answers 400 invalid_range problem+json for %s', async (target) => {
    await sendEvents(3);
    const res = await get(target);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('invalid_range');
  });

  it('requires an API key with audit:read', async () => {
    expect((await get('/v1/audit/checkpoint', 'wrong-key')).status).toBe(401);
    const res = await get('/v1/audit/key', writer.apiKey);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('insufficient_scope');
    expect((await t.app.request('/v1/audit/entries/0')).status).toBe(401);
  });
});
