import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AuditAppender } from './audit/audit-log.js';
import type { ClientRegistry } from './config/clients.js';
import type { Clock } from './clock.js';
import { GatewayError, isGatewayError } from './errors.js';
import type { GatewayEnv } from './http/env.js';
import { problemResponse } from './http/problem.js';
import { requestContext } from './http/request-context.js';
import { eventsRoute } from './http/routes/events-route.js';
import { deployRoutes } from './http/routes/deploy-routes.js';
import { healthRoutes, type ReadinessCheck } from './http/routes/health-routes.js';
import type { PolicyProvider } from './policy/active-policy.js';
import type { PendingDeployStore } from './quorum/pending-deploy.js';
import type { AdmissionStore } from './replay/admission.js';

/** Everything the HTTP app needs, built once in main.ts (or in a test). */
export interface AppDeps {
  readonly clients: ClientRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly admission: AdmissionStore;
  readonly policy: PolicyProvider;
  readonly deploys: PendingDeployStore;
  readonly audit: AuditAppender;
  readonly readiness: readonly ReadinessCheck[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
}

/** Builds the gateway's Hono app: middleware order, routes and the error mapping. No globals. */
export function createApp(deps: AppDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const nowMs = (): number => deps.clock.nowMs();

  app.use('*', requestContext(deps.logger));

  app.route('/', healthRoutes(deps.readiness));
  app.post('/v1/events', eventsRoute({ ...deps, nowMs }));
  app.route('/', deployRoutes(deps));

  app.notFound((c) => problemResponse(new GatewayError('not_found'), c.get('requestId')));
  app.onError((err, c) => {
    if (isGatewayError(err)) {
      if (err.code === 'unavailable' || err.code === 'internal') {
        deps.logger.error(
          { reqId: c.get('requestId'), code: err.code, err: err.cause },
          'request failed',
        );
      }
      return problemResponse(err, c.get('requestId'));
    }
    // Anything else is a bug: log it, answer 500 with no detail.
    deps.logger.error({ reqId: c.get('requestId'), err }, 'unhandled error');
    return problemResponse(new GatewayError('internal'), c.get('requestId'));
  });
  return app;
}
