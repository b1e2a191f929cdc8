import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AuditAppender } from './audit/audit-log.js';
import type { AuditReader } from './audit/audit-service.js';
import type { ClientRegistry } from './config/clients.js';
import type { Clock } from './clock.js';
import { GatewayError, isGatewayError } from './errors.js';
import type { GatewayEnv } from './http/env.js';
import { requireApiKey } from './http/authenticate.js';
import { problemResponse } from './http/problem.js';
import { requestContext } from './http/request-context.js';
import { auditRoutes } from './http/routes/audit-routes.js';
import { eventsRoute } from './http/routes/events-route.js';
import { deployRoutes } from './http/routes/deploy-routes.js';
import { healthRoutes, type ReadinessCheck } from './http/routes/health-routes.js';
import { policyRoute } from './http/routes/policy-route.js';
import { metricsRoute } from './http/routes/metrics-route.js';
import { openApiRoute } from './http/routes/openapi-route.js';
import { instrumentAudit, instrumentAuditReader } from './metrics/instrument-audit.js';
import { noopMetrics, type MetricsEndpoint } from './metrics/metrics-port.js';
import { buildOpenApiDocument } from './openapi/build-document.js';
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
  /** Audit read side (`GET /v1/audit/*`, scope `audit:read`); absent: those routes 404. */
  readonly auditReader?: AuditReader;
  readonly readiness: readonly ReadinessCheck[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
  /** Metrics recorder and `GET /metrics` exposition; absent: nothing recorded, empty scrape. */
  readonly metrics?: MetricsEndpoint;
}

const NO_METRICS: MetricsEndpoint = {
  metrics: noopMetrics,
  render: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: '' }),
};

/** Builds the gateway's Hono app: middleware order, routes and the error mapping. No globals. */
export function createApp(deps: AppDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const nowMs = (): number => deps.clock.nowMs();
  const { metrics, render } = deps.metrics ?? NO_METRICS;
  // Every append is timed and every audited decision counted, whichever route appends.
  const audit = instrumentAudit(deps.audit, metrics);

  app.use('*', requestContext(deps.logger, metrics));

  app.route('/', healthRoutes(deps.readiness));
  app.get('/openapi.json', openApiRoute(buildOpenApiDocument()));
  app.get('/metrics', metricsRoute(deps.clients, render));
  app.post('/v1/events', eventsRoute({ ...deps, audit, metrics, nowMs }));
  app.route('/', deployRoutes({ ...deps, audit }));
  app.get('/v1/policy', requireApiKey(deps.clients, 'audit:read'), policyRoute(deps.policy));
  if (deps.auditReader !== undefined) {
    app.use('/v1/audit/*', requireApiKey(deps.clients, 'audit:read'));
    app.route('/', auditRoutes(instrumentAuditReader(deps.auditReader, metrics, nowMs)));
  }

  app.notFound((c) => {
    metrics.refusal('not_found');
    return problemResponse(new GatewayError('not_found'), c.get('requestId'));
  });
  app.onError((err, c) => {
    if (isGatewayError(err)) {
      metrics.refusal(err.code);
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
    metrics.refusal('internal');
    return problemResponse(new GatewayError('internal'), c.get('requestId'));
  });
  return app;
}
