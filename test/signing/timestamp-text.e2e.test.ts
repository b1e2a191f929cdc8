import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

/**
 * Issue 13 item 9, docs/protocol.md §16: the signed string carries the `X-Codex-Timestamp` header
 * TEXT exactly as sent, never a re-formatted number. Through the real server: a header
 * `00<ts>` must not verify with a signature over `<ts>` (the old code signed
 * `String(Number(text))` and accepted it), and a sender that signs the text it sends must
 * pass (the old code refused it with 401 invalid_signature). Spellings outside the §0
 * grammar (`+`, exponent, sign, spaces, fraction) are 401 malformed_signature.
 */
describe('timestamp header text is signed exactly (real server)', () => {
  let gw: GatewayProcess;
  const body = JSON.stringify(buildEvent);

  beforeAll(async () => {
    gw = await startGateway({ startTimeoutMs: 30_000 });
  }, 40_000);
  afterAll(async () => {
    await gw?.stop();
  });

  /** Sends `body` with `headers` (already signed) and returns status and problem code. */
  async function send(headers: Record<string, string>): Promise<[number, string | undefined]> {
    const res = await fetch(gw.url + '/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const json = (await res.json()) as { code?: string };
    return [res.status, json.code];
  }

  const sign = (timestamp: string, nonce?: string) =>
    signRequest({
      apiKey: gw.client.apiKey,
      secret: gw.client.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body,
      timestamp,
      ...(nonce !== undefined && { nonce }),
    });

  it('a signature over `<ts>` does not verify a header `00<ts>`', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = { ...sign(ts), 'x-codex-timestamp': `00${ts}` };
    expect(await send(headers)).toEqual([401, 'invalid_signature']);
  });

  it('a sender that signs the header text `00<ts>` exactly is accepted', async () => {
    const ts = `00${Math.floor(Date.now() / 1000)}`;
    const headers = sign(ts);
    expect(headers['x-codex-timestamp']).toBe(ts);
    const [status] = await send(headers);
    expect(status).toBe(200);
  });

  it('the same nonce under another spelling of the same second is a replay', async () => {
    const now = Math.floor(Date.now() / 1000);
    const nonce = 'spelling-replay-0001';
    expect((await send(sign(String(now), nonce)))[0]).toBe(200);
    expect(await send(sign(`0${now}`, nonce))).toEqual([409, 'replayed_nonce']);
  });

  it.each(['+', ' +', '-'])('prefix %j is malformed, signed or not', async (prefix) => {
    const ts = `${prefix}${Math.floor(Date.now() / 1000)}`.trim();
    expect(await send(sign(ts))).toEqual([401, 'malformed_signature']);
  });

  it.each(['1.7e9', '17e8', '0x6553f100', '1700000000.0', 'Infinity'])(
    'non-decimal spelling %j is malformed',
    async (ts) => {
      expect(await send(sign(ts))).toEqual([401, 'malformed_signature']);
    },
  );
});
