import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

/**
 * Issue 11 point 5, against a real gateway process: a refused request says which header
 * is wrong (never echoing a secret), `timestamp_out_of_range` gives the server's time and
 * the tolerance, and the request log line carries the error code.
 */
let gw: GatewayProcess;
beforeAll(async () => {
  gw = await startGateway({ startTimeoutMs: 30_000, env: { GATEWAY_TOLERANCE_SECONDS: '120' } });
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

const body = JSON.stringify({ action: 'build', target: 'acme/web', steps: [] });

function signed(overrides: { timestamp?: number } = {}): Record<string, string> {
  return signRequest({
    apiKey: gw.client.apiKey,
    secret: gw.client.signingSecret,
    method: 'POST',
    target: '/v1/events',
    body,
    ...overrides,
  });
}

async function send(headers: Record<string, string>): Promise<{
  status: number;
  problem: Record<string, unknown>;
  requestId: string;
}> {
  const res = await fetch(`${gw.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: res.status,
    problem: (await res.json()) as Record<string, unknown>,
    requestId: res.headers.get('x-request-id') ?? '',
  };
}

describe('401 answers say which header to fix', () => {
  it.each([
    [
      'no X-Api-Key',
      (h: Record<string, string>): unknown => delete h['x-api-key'],
      'invalid_api_key',
      /header X-Api-Key is missing/,
    ],
    [
      'an unknown X-Api-Key',
      (h: Record<string, string>): unknown => (h['x-api-key'] = 'cgk_unknown'),
      'invalid_api_key',
      /header X-Api-Key: unknown API key/,
    ],
    [
      'no X-Codex-Timestamp',
      (h: Record<string, string>): unknown => delete h['x-codex-timestamp'],
      'malformed_signature',
      /header X-Codex-Timestamp is missing/,
    ],
    [
      'a non-digit timestamp',
      (h: Record<string, string>): unknown => (h['x-codex-timestamp'] = '1e9'),
      'malformed_signature',
      /header X-Codex-Timestamp must be unix seconds/,
    ],
    [
      'a short nonce',
      (h: Record<string, string>): unknown => (h['x-codex-nonce'] = 'short'),
      'malformed_signature',
      /header X-Codex-Nonce must be 16 to 64 characters/,
    ],
    [
      'no X-Codex-Sig',
      (h: Record<string, string>): unknown => delete h['x-codex-sig'],
      'malformed_signature',
      /header X-Codex-Sig is missing/,
    ],
    [
      'an upper-case signature',
      (h: Record<string, string>): unknown => (h['x-codex-sig'] = h['x-codex-sig']!.toUpperCase()),
      'malformed_signature',
      /header X-Codex-Sig must be v1=<64 lowercase hex>/,
    ],
    [
      'a wrong signature',
      (h: Record<string, string>): unknown => (h['x-codex-sig'] = `v1=${'0'.repeat(64)}`),
      'invalid_signature',
      /header X-Codex-Sig: no v1= entry is the HMAC-SHA256/,
    ],
  ] as const)(
    '%s: %s, detail names the header, log line has the code',
    async (_name, tamper, code, detail) => {
      const headers = signed();
      tamper(headers);
      const r = await send(headers);
      expect(r.status).toBe(401);
      expect(r.problem.code).toBe(code);
      expect(r.problem.detail).toMatch(detail);
      const text = JSON.stringify(r.problem);
      expect(text).not.toContain(gw.client.apiKey);
      expect(text).not.toContain(gw.client.signingSecret);
      const line = await gw.accessLine(r.requestId);
      expect(line.code).toBe(code);
      expect(line.status).toBe(401);
    },
  );

  it('timestamp_out_of_range gives the server time and the tolerance', async () => {
    const sent = Math.floor(Date.now() / 1000) - 3600;
    const before = Math.floor(Date.now() / 1000);
    const r = await send(signed({ timestamp: sent }));
    const after = Math.floor(Date.now() / 1000);
    expect(r.status).toBe(401);
    expect(r.problem.code).toBe('timestamp_out_of_range');
    expect(r.problem.toleranceSeconds).toBe(120);
    const serverTime = r.problem.serverTime as number;
    expect(serverTime).toBeGreaterThanOrEqual(before);
    expect(serverTime).toBeLessThanOrEqual(after);
    expect(r.problem.detail).toMatch(
      new RegExp(
        `^header X-Codex-Timestamp ${sent} is outside the accepted window: server time ${serverTime} \\(\\d{4}-.*Z\\), tolerance 120 s$`,
      ),
    );
    expect((await gw.accessLine(r.requestId)).code).toBe('timestamp_out_of_range');
  });

  it('a request that passes carries no code in its log line', async () => {
    const r = await send(signed());
    expect(r.status).toBe(200);
    expect((await gw.accessLine(r.requestId)).code).toBeUndefined();
  });
});
