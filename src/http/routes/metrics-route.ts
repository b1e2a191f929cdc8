import type { Context } from 'hono';
import type { GatewayEnv } from '../env.js';
import type { MetricsRenderer } from '../http-deps.js';

/**
 * `GET /metrics`: Prometheus text format, scope `metrics:read`, behind key-only auth that
 * also accepts `Authorization: Bearer <api key>` (what Prometheus' `authorization` scrape
 * setting sends). Metrics reveal traffic volumes, client behaviour and policy revisions,
 * so they are not public; a separate scope lets an operator give the scraper a key that
 * can do nothing else.
 */
export function metricsRoute(render: MetricsRenderer) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const { contentType, body } = await render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}
