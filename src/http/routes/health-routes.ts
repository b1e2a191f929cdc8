import { Hono } from 'hono';
import type { GatewayEnv } from '../env.js';

/** A named readiness probe: resolves true when the dependency can serve. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean> | boolean;
}

/**
 * `GET /healthz` (the process is up) and `GET /readyz` (every dependency can serve;
 * 503 with the failing names otherwise). Neither needs credentials nor reveals secrets.
 */
export function healthRoutes(checks: readonly ReadinessCheck[]): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      checks.map(async (probe) => {
        try {
          return [probe.name, await probe.check()] as const;
        } catch {
          return [probe.name, false] as const;
        }
      }),
    );
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    return c.json(
      { status: failing.length === 0 ? 'ready' : 'not_ready', failing },
      failing.length === 0 ? 200 : 503,
    );
  });
  return app;
}
