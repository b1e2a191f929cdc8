import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange, type RawOutcome } from '../helpers/raw-http.js';

/**
 * Issue 13 item 10 (server part), docs/protocol.md §16, through the real server's socket (an HTTP
 * client would merge repeated lines before they reach the wire):
 * - each §2 header on two lines is 401 `malformed_signature`, or `invalid_api_key` for
 *   X-Api-Key, even when every line is validly signed (the old code joined two X-Codex-Sig
 *   lines with ", " and accepted the request);
 * - a Transfer-Encoding other than plain `chunked` is refused before the body is used
 *   (the old code accepted `gzip, chunked` and judged the still-encoded bytes).
 */
describe('header lines and transfer codings (real server socket)', () => {
  let gw: GatewayProcess;
  const body = JSON.stringify(buildEvent);

  beforeAll(async () => {
    gw = await startGateway({ startTimeoutMs: 30_000 });
  }, 40_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const signed = (): Record<string, string> =>
    signRequest({
      apiKey: gw.client.apiKey,
      secret: gw.client.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body,
    });

  /** Writes a request with exactly these header lines and `payload` as it is framed. */
  function send(
    lines: ReadonlyArray<readonly [string, string]>,
    payload: string,
  ): Promise<RawOutcome> {
    const head = [
      'POST /v1/events HTTP/1.1',
      'Host: 127.0.0.1',
      'Connection: close',
      'Content-Type: application/json',
      ...lines.map(([n, v]) => `${n}: ${v}`),
    ].join('\r\n');
    return rawExchange(
      gw.port,
      [{ bytes: Buffer.from(`${head}\r\n\r\n${payload}`), delayMs: 0 }],
      20_000,
    );
  }

  const framed = (h: Record<string, string>): Array<[string, string]> => [
    ...Object.entries(h),
    ['Content-Length', String(Buffer.byteLength(body))],
  ];

  it('accepts the well-formed request (control)', async () => {
    const r = await send(framed(signed()), body);
    expect(r.status).toBe(200);
  });

  it('refuses two X-Codex-Sig lines, each a valid signature, as malformed_signature', async () => {
    const h = signed();
    const lines = framed(h);
    lines.push(['X-Codex-Sig', h['x-codex-sig']!]);
    const r = await send(lines, body);
    expect([r.status, r.code]).toEqual([401, 'malformed_signature']);
  });

  it('refuses a valid X-Codex-Sig line plus a second bogus one as malformed_signature', async () => {
    const lines = framed(signed());
    lines.push(['X-Codex-Sig', `v1=${'0'.repeat(64)}`]);
    const r = await send(lines, body);
    expect([r.status, r.code]).toEqual([401, 'malformed_signature']);
  });

  it.each(['X-Codex-Timestamp', 'X-Codex-Nonce'])(
    'refuses %s on two identical lines as malformed_signature',
    async (name) => {
      const h = signed();
      const lines = framed(h);
      lines.push([name, h[name.toLowerCase()]!]);
      const r = await send(lines, body);
      expect([r.status, r.code]).toEqual([401, 'malformed_signature']);
    },
  );

  it('refuses X-Api-Key on two identical lines as invalid_api_key', async () => {
    const h = signed();
    const lines = framed(h);
    lines.push(['X-Api-Key', h['x-api-key']!]);
    const r = await send(lines, body);
    expect([r.status, r.code]).toEqual([401, 'invalid_api_key']);
  });

  it('refuses X-Api-Key on two lines on a key-only route too', async () => {
    const head = [
      'GET /v1/audit/checkpoint HTTP/1.1',
      'Host: 127.0.0.1',
      'Connection: close',
      `X-Api-Key: ${gw.client.apiKey}`,
      `X-Api-Key: ${gw.client.apiKey}`,
    ].join('\r\n');
    const r = await rawExchange(
      gw.port,
      [{ bytes: Buffer.from(`${head}\r\n\r\n`), delayMs: 0 }],
      20_000,
    );
    expect([r.status, r.code]).toEqual([401, 'invalid_api_key']);
  });

  const chunked = (payload: string): string =>
    `${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n0\r\n\r\n`;

  it('accepts plain chunked framing (control)', async () => {
    const r = await send(
      [...Object.entries(signed()), ['Transfer-Encoding', 'chunked']],
      chunked(body),
    );
    expect(r.status).toBe(200);
  });

  it.each(['gzip, chunked', 'deflate, chunked', 'identity, chunked', 'chunked, chunked'])(
    'refuses Transfer-Encoding %j with 400 before the body is judged',
    async (te) => {
      const r = await send([...Object.entries(signed()), ['Transfer-Encoding', te]], chunked(body));
      expect(r.status).toBe(400);
    },
  );

  it('refuses Transfer-Encoding split over two lines (gzip, then chunked)', async () => {
    const lines: Array<[string, string]> = [
      ...Object.entries(signed()),
      ['Transfer-Encoding', 'gzip'],
      ['Transfer-Encoding', 'chunked'],
    ];
    const r = await send(lines, chunked(body));
    expect(r.status).toBe(400);
  });
});
