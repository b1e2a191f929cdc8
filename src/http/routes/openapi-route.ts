import type { Context } from 'hono';
import type { GatewayEnv } from '../env.js';

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document, built once at start (it only depends on
 * code) and served without credentials; it holds no secret or state.
 */
export function openApiRoute(document: Record<string, unknown>) {
  const body = JSON.stringify(document);
  return (c: Context<GatewayEnv>): Response =>
    c.body(body, 200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
}
