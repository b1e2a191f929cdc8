import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { GatewayEnv } from './env.js';
import { headerOf, pathOf } from './incoming.js';
import { requestIdFor, type RequestRecorder } from './request-record.js';

const ERROR_CODE = /^[a-z][a-z_]{0,63}$/;

/**
 * Gives every request an id (request-record.ts), returns it on every answer, and logs one
 * line per request: never headers or bodies, so no key or signature reaches the logs.
 * Counts the request by its matched route PATTERN (`unmatched` when none), never the raw
 * path, so hostile paths cannot create metric series.
 */
export function requestContext(record: RequestRecorder): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFor(headerOf(c, 'x-request-id'));
    c.set('requestId', requestId);
    await next();
    const res = c.res;
    // An answer from json-answer.ts carries the id already; touching `res.headers` would
    // rebuild its header list as a WHATWG Headers object (bench/README.md, issue 19).
    if (c.get('stamped') !== res) res.headers.set('x-request-id', requestId);
    const ms = performance.now() - started;
    const pattern = routePath(c, -1);
    record({
      requestId,
      // Only a wildcard middleware matched (no route): one bounded label for all of them.
      route: pattern === '' || pattern.endsWith('*') ? 'unmatched' : pattern,
      method: c.req.method,
      path: pathOf(c),
      status: res.status,
      ms,
      client: c.get('client')?.id,
      // Only a refusal has a code: no promise to await for the others.
      code: res.status < 400 ? undefined : await problemCode(res),
    });
  };
}

/**
 * The stable `code` of a problem+json answer, so the request line says why a request was
 * refused. Read from a clone of the answer (our own small JSON document, built by
 * http/problem.ts), because Hono copies the Response on its way out and nothing attached
 * to the original object survives. Anything unexpected gives no code, never an error.
 */
async function problemCode(res: Response): Promise<string | undefined> {
  if (res.status < 400) return undefined;
  if (!(res.headers.get('content-type') ?? '').startsWith('application/problem+json'))
    return undefined;
  try {
    const body = (await res.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' && ERROR_CODE.test(body.code) ? body.code : undefined;
  } catch {
    return undefined;
  }
}
