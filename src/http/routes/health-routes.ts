import type { Context } from 'hono';
import type { GatewayEnv } from '../env.js';
import type { ReadinessCheck } from '../http-deps.js';

/** `GET /healthz`: the process is up. No credentials, no state. */
export function healthRoute() {
  return (c: Context<GatewayEnv>): Response => c.json({ status: 'ok' });
}

/**
 * `GET /readyz`: every dependency can serve (200), or 503 with the failing names. Needs
 * no credentials and reveals no secret.
 */
export function readyRoute(checks: readonly ReadinessCheck[]) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
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
  };
}
