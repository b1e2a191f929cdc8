import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { createTestApp } from '../helpers/test-app.js';

describe('logs', () => {
  it('never contain an API key, signing secret or signature value', async () => {
    const t = await createTestApp();
    const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
    const sigs: string[] = [];
    for (const variant of ['ok', 'bad-sig', 'bad-json', 'replay'] as const) {
      const headers = signRequest({
        apiKey: t.client.apiKey,
        secret: t.client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body,
        timestamp: Math.floor(t.clock.ms / 1000),
        ...(variant === 'replay' ? { nonce: 'same-nonce-0000000' } : {}),
      });
      if (variant === 'bad-sig') headers['x-codex-sig'] = `v1=${'f'.repeat(64)}`;
      sigs.push(headers['x-codex-sig']!.slice(3));
      await t.app.request('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: variant === 'bad-json' ? '{' : body,
      });
      if (variant === 'replay')
        await t.app.request('/v1/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
    }
    expect(t.logLines.length).toBeGreaterThan(0);
    const all = t.logLines.join('');
    expect(all).toContain('"path":"/v1/events"');
    expect(all).not.toContain(t.client.apiKey);
    expect(all).not.toContain(t.client.signingSecret);
    for (const s of sigs) expect(all).not.toContain(s);
  });
});

describe('the access line', () => {
  it('carries only fixed, non-secret fields (it is written without the redaction pass)', async () => {
    const t = await createTestApp();
    await t.send(JSON.stringify({ action: 'build', target: 'a', steps: [] }));
    const lines = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l['msg'] === 'request');
    expect(access.length).toBe(1);
    const allowed = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);
    for (const k of ['reqId', 'method', 'path', 'status', 'ms', 'client', 'code']) allowed.add(k);
    for (const key of Object.keys(access[0]!)) expect(allowed).toContain(key);
    expect(access[0]).toMatchObject({ method: 'POST', path: '/v1/events', status: 200 });
  });

  it('has the same fields in the same order, with the refusal code last', async () => {
    const t = await createTestApp();
    const body = JSON.stringify({ action: 'build', target: 'a', steps: [] });
    await t.send(body);
    await t.send(body, { headers: { 'x-codex-sig': `v1=${'f'.repeat(64)}` } });
    const access = t.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'request');
    const fields = ['reqId', 'method', 'path', 'status', 'ms'];
    expect(
      Object.keys(access[0]!).filter((k) => fields.includes(k) || k === 'client' || k === 'code'),
    ).toEqual([...fields, 'client']);
    expect(
      Object.keys(access[1]!).filter((k) => fields.includes(k) || k === 'client' || k === 'code'),
    ).toEqual([...fields, 'code']);
    expect(access[1]).toMatchObject({ status: 401, code: 'invalid_signature' });
  });
});
