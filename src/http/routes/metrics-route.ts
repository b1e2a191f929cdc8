import type { Context } from 'hono';
import type { ClientRegistry } from '../../config/clients.js';
import { authenticateApiKey } from '../authenticate.js';
import type { GatewayEnv } from '../env.js';

/** Renders the exposition text; `prometheus-metrics.ts` provides it. */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

const BEARER = /^Bearer ([!-~]{1,512})$/;

/**
 * `GET /metrics`: Prometheus text format, scope `metrics:read`. The API key may come as
 * `X-Api-Key` (like every read route) or as `Authorization: Bearer <api key>`, which is what
 * Prometheus' `authorization` scrape setting sends. Metrics reveal traffic volumes, client
 * behaviour and policy revisions, so they are not public; a separate scope lets an operator
 * give the scraper a key that can do nothing else.
 */
export function metricsRoute(clients: ClientRegistry, render: MetricsRenderer) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const bearer = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    const apiKey = c.req.header('x-api-key') ?? bearer;
    c.set('client', authenticateApiKey(clients, apiKey, ['metrics:read']));
    const { contentType, body } = await render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}
