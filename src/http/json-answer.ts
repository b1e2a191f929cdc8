import type { Context } from 'hono';
import type { GatewayEnv } from './env.js';

/**
 * A JSON answer (what `c.json` gives, from the JSON text or its UTF-8 bytes, e.g.
 * allow-answer.ts) that already carries the request's `X-Request-Id`, for the hot routes
 * (`POST /v1/events`).
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
export function jsonAnswer(
  c: Context<GatewayEnv>,
  body: string | Buffer,
  status: number,
): Response {
  const res = new Response(body, { status, headers: jsonAnswerHeaders(c.get('requestId'), body) });
  c.set('stamped', res);
  return res;
}

/**
 * The header lines of such an answer, in this order and name case: also what the events
 * lane (events-lane.ts) writes, so both give the same bytes.
 */
export function jsonAnswerHeaders(
  requestId: string,
  body: string | Buffer,
): { 'content-type': string; 'x-request-id': string; 'Content-Length': string } {
  return {
    'content-type': 'application/json',
    'x-request-id': requestId,
    'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
  };
}
