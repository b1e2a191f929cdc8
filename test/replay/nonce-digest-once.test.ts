import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildClientRegistry } from '../../src/config/clients.js';
import { generateCredentials } from '../../src/config/dev-client.js';
import { authenticateSignedRequest } from '../../src/http/signed-request.js';
import type { RawRequest } from '../../src/http/raw-request.js';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { nonceKey } from '../../src/replay/memory-nonce-store.js';
import { signRequest } from '../../src/signing/index.js';

/**
 * The signed-request path hashes `client\nnonce` once and hands the digest to the store
 * (`nonceSha256`, issue 19). The store must judge exactly as when it hashes itself, and
 * the audit entry's `nonce` stays `sha256:` + that digest.
 */
const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const T0 = 1_700_000_000;

describe('nonce digest computed once', () => {
  it('the store refuses a replay whether or not the digest came with the request', async () => {
    const store = new MemoryAdmissionStore({ capacity: 100, toleranceSeconds: 300 });
    const base = { clientId: 'c', timestamp: T0, nowMs: T0 * 1000, ratePerMinute: undefined };
    const nonce = 'nonce-000000000000001';
    expect(await store.admit({ ...base, nonce, nonceSha256: nonceKey('c', nonce) })).toEqual({
      ok: true,
    });
    expect(await store.admit({ ...base, nonce })).toEqual({ ok: false, code: 'replayed_nonce' });
    const other = 'nonce-000000000000002';
    expect(await store.admit({ ...base, nonce: other })).toEqual({ ok: true });
    expect(await store.admit({ ...base, nonce: other, nonceSha256: nonceKey('c', other) })).toEqual(
      { ok: false, code: 'replayed_nonce' },
    );
  });

  it('nonceKey is the hex SHA-256 of client\\nnonce, and the request records it', async () => {
    const cred = generateCredentials('ci-main', ['events:write']);
    const clients = buildClientRegistry({ clients: [cred.entry] }, { production: false });
    const admission = new MemoryAdmissionStore({ capacity: 100, toleranceSeconds: 300 });
    const body = Buffer.from('{"action":"build"}');
    const nowMs = Date.now();
    const headers = signRequest({
      apiKey: cred.apiKey,
      secret: cred.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body,
      nonce: 'abcdefghijklmnop0123',
      timestamp: Math.floor(nowMs / 1000),
    });
    const raw: RawRequest = {
      method: 'POST',
      target: '/v1/events',
      header: (name) => headers[name],
      repeated: () => false,
      body,
    };
    const deps = { clients, admission, toleranceSeconds: 300, nowMs: () => nowMs };
    const auth = await authenticateSignedRequest(deps, raw, 'events:write', () => undefined);
    const digest = sha256Hex('ci-main\nabcdefghijklmnop0123');
    expect(nonceKey('ci-main', 'abcdefghijklmnop0123')).toBe(digest);
    expect(auth.replay.nonce).toBe(`sha256:${digest}`);
    // The store holds that same digest: the request is a replay now, with or without it.
    await expect(
      authenticateSignedRequest(deps, raw, 'events:write', () => undefined),
    ).rejects.toMatchObject({ code: 'replayed_nonce' });
    expect(
      await admission.admit({
        clientId: 'ci-main',
        nonce: 'abcdefghijklmnop0123',
        timestamp: Math.floor(nowMs / 1000),
        nowMs,
        ratePerMinute: undefined,
      }),
    ).toEqual({ ok: false, code: 'replayed_nonce' });
  });
});
