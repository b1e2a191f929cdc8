import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { randomId } from '../crypto/index.js';
import { noopMetrics, type Metrics } from '../metrics/metrics-port.js';
import type { GatewayEnv } from './env.js';
import { headerOf, pathOf } from './incoming.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
const ERROR_CODE = /^[a-z][a-z_]{0,63}$/;

/**
 * Gives every request an id (a caller's well-formed `X-Request-Id` is kept so logs can be
 * joined across systems, anything else is replaced), returns it on every answer, and logs
 * one line per request: never headers or bodies, so no key or signature reaches the logs.
 * Counts the request by its matched route PATTERN (`unmatched` when none), never the raw
 * path, so hostile paths cannot create metric series.
 */
export function requestContext(
  logger: Logger,
  metrics: Metrics = noopMetrics,
): MiddlewareHandler<GatewayEnv> {
  // The access line is built below from fixed, non-secret fields only (never headers or
  // bodies), so it skips pino's redaction pass, which re-walks every configured path on
  // every line and was the largest part of logging's per-request cost (bench/README.md).
  // test/http/logs.test.ts pins the fields it may carry.
  const accessLog = logger.child({}, { redact: [] });
  return async (c, next) => {
    const started = performance.now();
    const offered = headerOf(c, 'x-request-id');
    const requestId = offered !== undefined && SAFE_REQUEST_ID.test(offered) ? offered : randomId();
    c.set('requestId', requestId);
    await next();
    const res = c.res;
    // An answer from json-answer.ts carries the id already; touching `res.headers` would
    // rebuild its header list as a WHATWG Headers object (bench/README.md, issue 19).
    if (c.get('stamped') !== res) res.headers.set('x-request-id', requestId);
    const ms = performance.now() - started;
    const pattern = routePath(c, -1);
    metrics.request(
      // Only a wildcard middleware matched (no route): one bounded label for all of them.
      pattern === '' || pattern.endsWith('*') ? 'unmatched' : pattern,
      c.req.method,
      res.status,
      ms / 1000,
    );
    // Only a refusal has a code: no promise to await for the others.
    const code = res.status < 400 ? undefined : await problemCode(res);
    const line: Record<string, unknown> = {
      reqId: requestId,
      method: c.req.method,
      path: pathOf(c),
      status: res.status,
      ms: Math.round(ms * 100) / 100,
      client: c.get('client')?.id,
    };
    // Assigned, not `...(code !== undefined && { code })` (a slow spread); same key order.
    if (code !== undefined) line['code'] = code;
    accessLog.info(line, 'request');
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
