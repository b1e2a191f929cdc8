import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { AuditAppender } from './audit/audit-log.js';
import type { AuditReader } from './audit/audit-service.js';
import type { ClientRegistry } from './config/clients.js';
import type { Clock } from './clock.js';
import { randomId } from './crypto/index.js';
import { GatewayError } from './errors.js';
import { keyAuth, signedAuth } from './http/auth.js';
import type { GatewayEnv } from './http/env.js';
import type { HttpDeps, ReadinessCheck } from './http/http-deps.js';
import { buildOpenApiDocument } from './http/openapi/build-document.js';
import { problemResponse } from './http/problem.js';
import { withEventsLane } from './http/events-lane.js';
import { refusalFor } from './http/failure.js';
import { requestContext } from './http/request-context.js';
import { requestRecorder, type RequestRecorder } from './http/request-record.js';
import { ROUTES, type RouteSpec } from './http/route-table.js';
import { noopMetrics, type MetricsEndpoint } from './metrics/metrics-port.js';
import type { PolicyProvider } from './policy/active-policy.js';
import { MemoryDeployWatch, type DeployWatch } from './quorum/deploy-watch.js';
import { NotifyingDeployStore } from './quorum/notifying-deploy-store.js';
import type { PendingDeployStore } from './quorum/pending-deploy.js';
import type { AttestationPorts } from './gateway/issue-attestation.js';
import type { DeliveryPorts } from './gateway/owe-deliveries.js';
import type { ShadowCandidate } from './gateway/shadow-candidate.js';
import { WaitSlots } from './gateway/wait-slots.js';
import type { Outbox } from './delivery/outbox.js';
import type { TargetRegistry } from './delivery/targets.js';
import { MemoryAttestationStore, type AttestationStore } from './release/attestation-store.js';
import type { ReleaseSigner } from './release/release-attestation.js';
import type { AdmissionStore } from './replay/admission.js';

export type { ReadinessCheck } from './http/http-deps.js';

/**
 * Everything the HTTP app needs, built once by compose.ts (or in a test). Adapters arrive
 * already chosen and, in the server, already decorated with metrics (compose.ts).
 */
export interface AppDeps {
  readonly clients: ClientRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly admission: AdmissionStore;
  readonly policy: PolicyProvider;
  /** The candidate policy in the shadow (docs/protocol.md §13); absent: none configured. */
  readonly candidate?: ShadowCandidate;
  readonly deploys: PendingDeployStore;
  readonly audit: AuditAppender;
  /** Audit read side (`GET /v1/audit/*`, scope `audit:read`); absent: those routes 404. */
  readonly auditReader?: AuditReader;
  readonly readiness: readonly ReadinessCheck[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
  /** Metrics recorder and `GET /metrics` exposition; absent: nothing recorded, empty scrape. */
  readonly metrics?: MetricsEndpoint;
  /** Deploy change notifications (Redis pub/sub across instances); absent: in-process. */
  readonly deployWatch?: DeployWatch;
  /** Held-request bounds for `?wait=`; absent: the defaults (16 per client, 1024 total). */
  readonly waitSlots?: WaitSlots;
  /** Signs release attestations with the log key; absent: the attestation route is not served. */
  readonly releaseSigner?: ReleaseSigner;
  /** Where attestations are kept once built; absent: in this process. */
  readonly attestations?: AttestationStore;
  /**
   * Deliveries (docs/protocol.md §11): the targets, the durable outbox and the dispatcher's wake-up.
   * Absent: nothing is owed and the `/v1/deliveries` routes are not served.
   */
  readonly deliveries?: {
    readonly targets: TargetRegistry;
    readonly outbox: Outbox;
    wake(): void;
  };
}

const NO_METRICS: MetricsEndpoint = {
  metrics: noopMetrics,
  render: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: '' }),
};

/**
 * Builds the gateway's Hono app: the request context, then every route of the route table
 * (http/route-table.ts) with the auth middleware its entry names, then the error mapping.
 * No globals; no adapter is chosen here.
 */
export function createApp(deps: AppDeps): Hono<GatewayEnv> {
  const http = httpDepsFor(deps);
  return mountApp(http, requestRecorder(http.logger, http.metrics));
}

/**
 * What the server listens with (main.ts): `POST /v1/events` on the Node lane
 * (http/events-lane.ts), every other request on the app createApp builds; both share one
 * set of dependencies.
 */
export function createRequestListener(
  deps: AppDeps,
  options: { readonly hostname?: string } = {},
): RequestListener {
  const http = httpDepsFor(deps);
  const record = requestRecorder(http.logger, http.metrics);
  const app = mountApp(http, record);
  const events = ROUTES.find((r) => r.method === 'post' && r.path === '/v1/events');
  const [scope] = events?.scopes ?? [];
  if (events === undefined || scope === undefined)
    throw new TypeError('the route table has no POST /v1/events');
  const rest = getRequestListener(app.fetch, options);
  return withEventsLane(http, { path: events.path, scope }, record, rest);
}

/** The dependencies of the routes, built once per app (wires the use cases' ports). */
function httpDepsFor(deps: AppDeps): HttpDeps {
  const nowMs = (): number => deps.clock.nowMs();
  const { metrics, render } = deps.metrics ?? NO_METRICS;
  const watch = deps.deployWatch ?? new MemoryDeployWatch();
  // Every stored change of a deploy wakes the requests held on it (docs/protocol.md §10).
  const deploys = new NotifyingDeployStore(deps.deploys, watch);
  const attestation: AttestationPorts | undefined =
    deps.releaseSigner === undefined || deps.auditReader === undefined
      ? undefined
      : {
          signer: deps.releaseSigner,
          log: deps.auditReader,
          store: deps.attestations ?? new MemoryAttestationStore({ nowMs }),
        };
  const deliveries: DeliveryPorts | undefined =
    deps.deliveries === undefined
      ? undefined
      : {
          targets: deps.deliveries.targets,
          outbox: deps.deliveries.outbox,
          wake: () => deps.deliveries?.wake(),
          ...(attestation !== undefined && { attestation }),
        };
  return {
    clients: deps.clients,
    admission: deps.admission,
    policy: deps.policy,
    ...(deps.candidate !== undefined && { candidate: deps.candidate }),
    logger: deps.logger,
    ports: {
      audit: deps.audit,
      deploys,
      nowMs,
      newId: randomId,
      metrics,
      ...(deliveries !== undefined && { deliveries }),
      ...(deps.candidate !== undefined && { candidate: deps.candidate }),
    },
    releases: {
      watch,
      slots: deps.waitSlots ?? new WaitSlots(),
      attestation,
    },
    auditReader: deps.auditReader,
    readiness: deps.readiness,
    toleranceSeconds: deps.toleranceSeconds,
    bodyLimitBytes: deps.bodyLimitBytes,
    metrics,
    renderMetrics: render,
    openApiDocument: buildOpenApiDocument(ROUTES),
    nowMs,
  };
}

/** The Hono app: the request context, every route of the table with its auth, the error mapping. */
function mountApp(http: HttpDeps, record: RequestRecorder): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const { metrics, logger } = http;
  app.use('*', requestContext(record));
  for (const route of ROUTES) {
    const handler = route.handler(http);
    if (handler === undefined) continue;
    const chain: [MiddlewareHandler<GatewayEnv>, ...MiddlewareHandler<GatewayEnv>[]] = [
      ...authFor(route, http),
      handler as MiddlewareHandler<GatewayEnv>,
    ] as [MiddlewareHandler<GatewayEnv>];
    app.on(route.method.toUpperCase(), route.path, ...chain);
  }

  app.notFound((c) => {
    metrics.refusal('not_found');
    return problemResponse(new GatewayError('not_found'), c.get('requestId'));
  });
  app.onError((err, c) => {
    const requestId = c.get('requestId');
    return problemResponse(refusalFor(err, requestId, logger, metrics), requestId);
  });
  return app;
}

/** The middleware a route's `auth` names (one for key-only, one for signed requests). */
function authFor(route: RouteSpec, deps: HttpDeps): MiddlewareHandler<GatewayEnv>[] {
  switch (route.auth) {
    case 'none':
      return [];
    case 'api-key':
      return [keyAuth(deps.clients, route.scopes, { bearer: route.bearer === true })];
    case 'signed': {
      const [scope] = route.scopes;
      if (scope === undefined || route.scopes.length !== 1)
        throw new TypeError(`route ${route.path}: a signed route names exactly one scope`);
      return [signedAuth(deps, scope, deps.bodyLimitBytes)];
    }
  }
}
