import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { randomId } from '../crypto/index.js';
import type { GatewayEnv } from './env.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives every request an id (a caller's well-formed `X-Request-Id` is kept so logs can be
 * joined across systems, anything else is replaced), returns it on every answer, and logs
 * one line per request: never headers or bodies, so no key or signature reaches the logs.
 */
export function requestContext(logger: Logger): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = performance.now();
    const offered = c.req.header('x-request-id');
    const requestId = offered !== undefined && SAFE_REQUEST_ID.test(offered) ? offered : randomId();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('x-request-id', requestId);
    logger.info(
      {
        reqId: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 100) / 100,
        client: c.get('client')?.id,
      },
      'request',
    );
  };
}
