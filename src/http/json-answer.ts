import type { Context } from 'hono';
import type { GatewayEnv } from './env.js';

/**
 * A JSON answer (`c.json(body, status)` of the serialised `text`) that already carries the request's
 * `X-Request-Id`, for the hot routes (`POST /v1/events`).
 *
 * With `c.json`, the request-context middleware adds the id afterwards through
 * `res.headers`, which turns @hono/node-server's lightweight answer into a WHATWG
 * `Headers` object that is then copied back into a plain object for Node: about 2 µs per
 * request (bench/README.md, issue 19). Here the headers are one plain object, written as
 * is. Same header lines on the wire, in the same order, with the same name case: what the
 * `Headers` path produced (`content-type`, `x-request-id`, then `Content-Length` added by
 * the server adapter); test/http/response-bytes.test.ts compares the bytes with `c.json`'s.
 * The middleware sees `c.var.stamped === c.res` and leaves the answer alone.
 */
export function jsonTextAnswer(c: Context<GatewayEnv>, text: string, status: number): Response {
  return stamped(c, text, Buffer.byteLength(text), status);
}

/** The same for a JSON document already encoded as UTF-8 (allow-answer.ts). */
export function jsonBytesAnswer(c: Context<GatewayEnv>, bytes: Buffer, status: number): Response {
  return stamped(c, bytes, bytes.length, status);
}

function stamped(
  c: Context<GatewayEnv>,
  body: string | Buffer,
  length: number,
  status: number,
): Response {
  const res = new Response(body, {
    status,
    headers: {
      'content-type': 'application/json',
      'x-request-id': c.get('requestId'),
      'Content-Length': String(length),
    },
  });
  c.set('stamped', res);
  return res;
}
