import type { Handler } from 'hono';
import { z } from 'zod';
import type { Scope } from '../config/clients.js';
import { DELIVERY_STATES } from '../delivery/delivery.js';
import { eventSchema } from '../events/event-schema.js';
import { MAX_DELIVERIES_LISTED } from '../gateway/operate-deliveries.js';
import { approvalRequestSchema, policyEvaluateRequestSchema } from './bodies.js';
import type { GatewayEnv } from './env.js';
import type { HttpDeps } from './http-deps.js';
import * as r from './openapi/response-schemas.js';
import { auditHandlers, INDEX_PATTERN } from './routes/audit-routes.js';
import {
  approveRoute,
  getAttestationRoute,
  getDeployRoute,
  MAX_WAIT_SECONDS,
} from './routes/deploy-routes.js';
import { listDeliveriesRoute, retryDeliveryRoute } from './routes/delivery-routes.js';
import { eventsRoute } from './routes/events-route.js';
import { healthRoute, readyRoute } from './routes/health-routes.js';
import { metricsRoute } from './routes/metrics-route.js';
import { openApiRoute } from './routes/openapi-route.js';
import { policyEvaluateRoute } from './routes/policy-evaluate-route.js';
import { policyRoute } from './routes/policy-route.js';

/**
 * How a route authenticates (docs/protocol.md §2, §5, §6): `none`; `api-key` (X-Api-Key only, with
 * `bearer` also `Authorization: Bearer`); `signed` (codex-sig/v1, body read first).
 */
export type RouteAuth = 'none' | 'api-key' | 'signed';

/** One documented answer. */
export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json (application/problem+json for 4xx/5xx). */
  readonly contentType?: string;
}

/**
 * One route: everything the router mounts AND everything the OpenAPI document says about
 * it, in one record, so a route cannot exist in one and not the other. `path` uses Hono
 * syntax (`/x/:id`).
 */
export interface RouteSpec {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly summary: string;
  readonly auth: RouteAuth;
  /** The client must hold one of these (empty for `none`). */
  readonly scopes: readonly Scope[];
  /** Key-only routes: also accept `Authorization: Bearer <api key>`. */
  readonly bearer?: boolean;
  readonly query?: Readonly<Record<string, { schema: z.ZodType; required: boolean }>>;
  /** The schema the route itself validates its JSON body with. */
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Builds the handler; undefined when this gateway does not serve the route (never mounted). */
  readonly handler: (deps: HttpDeps) => Handler<GatewayEnv> | undefined;
}

/** Indices arrive as text and are accepted as plain digits only (audit routes). */
const index = z.string().regex(INDEX_PATTERN);
const json = (description: string, schema: z.ZodType): ResponseDoc => ({ description, schema });
const problem = (description: string): ResponseDoc => ({ description, schema: r.problemSchema });

const authProblems = {
  401: problem('invalid_api_key'),
  403: problem('insufficient_scope'),
} as const;

/** Audit read routes exist only when the gateway has an audit reader. */
const withReader =
  (make: (reader: NonNullable<HttpDeps['auditReader']>) => Handler<GatewayEnv>) =>
  (deps: HttpDeps): Handler<GatewayEnv> | undefined =>
    deps.auditReader === undefined ? undefined : make(deps.auditReader);

/**
 * Every route the gateway serves. app.ts mounts exactly these (with the auth middleware
 * their `auth` names) and http/openapi/build-document.ts documents exactly these.
 */
export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    auth: 'none',
    scopes: [],
    responses: { 200: json('up', r.healthSchema) },
    handler: () => healthRoute(),
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: every dependency (policy, stores, audit log) can serve',
    auth: 'none',
    scopes: [],
    responses: { 200: json('ready', r.readinessSchema), 503: json('not ready', r.readinessSchema) },
    handler: (deps) => readyRoute(deps.readiness),
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    auth: 'none',
    scopes: [],
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
    handler: (deps) => openApiRoute(deps.openApiDocument),
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (X-Api-Key or Authorization: Bearer <api key>)',
    auth: 'api-key',
    bearer: true,
    scopes: ['metrics:read'],
    responses: {
      200: { description: 'Prometheus text exposition format 0.0.4', contentType: 'text/plain' },
      ...authProblems,
    },
    handler: (deps) => metricsRoute(deps.renderMetrics),
  },
  {
    method: 'post',
    path: '/v1/events',
    summary: 'Submit a signed CI event for a policy decision (docs/protocol.md §2, §3)',
    auth: 'signed',
    scopes: ['events:write'],
    body: eventSchema,
    responses: {
      200: json('allowed and audited', r.allowAnswerSchema),
      202: json('held for a deploy quorum', r.pendingAnswerSchema),
      400: problem('invalid_body'),
      401: problem(
        'invalid_api_key, malformed_signature, timestamp_out_of_range, invalid_signature',
      ),
      403: json('policy_denied (audited) or insufficient_scope', r.denyProblemSchema),
      409: problem('replayed_nonce'),
      413: problem('payload_too_large'),
      415: problem('unsupported_media_type'),
      429: problem('rate_limited (Retry-After)'),
      503: problem('unavailable: a store the gateway needs is down'),
    },
    handler: (deps) => eventsRoute(deps),
  },
  {
    method: 'get',
    path: '/v1/deploys/:id',
    summary:
      'A pending deploy and its approvals; ?wait= holds the answer (docs/protocol.md §5, §10)',
    auth: 'api-key',
    scopes: ['events:write', 'approvals:write', 'audit:read'],
    query: {
      wait: {
        schema: z
          .string()
          .regex(/^[0-9]+$/)
          .describe(`seconds to hold while pending, 0..${MAX_WAIT_SECONDS}`),
        required: false,
      },
    },
    responses: {
      200: json('deploy', r.deployViewSchema),
      400: problem('invalid_range (wait)'),
      ...authProblems,
      404: problem('unknown_deploy'),
      429: problem('rate_limited: too many held requests for this client (Retry-After)'),
      503: problem('unavailable: a store or the audit log is down, or too many held requests'),
    },
    handler: (deps) => getDeployRoute(deps),
  },
  {
    method: 'get',
    path: '/v1/deploys/:id/attestation',
    summary:
      'The release attestation of an approved deploy: in-toto in DSSE (docs/protocol.md §10)',
    auth: 'api-key',
    scopes: ['events:write', 'approvals:write', 'audit:read'],
    responses: {
      200: json('DSSE envelope signed with the audit log key', r.dsseEnvelopeSchema),
      ...authProblems,
      404: problem('unknown_deploy'),
      409: problem('deploy_not_approved'),
      503: problem('unavailable: a store or the audit log is down'),
    },
    handler: (deps) => getAttestationRoute(deps),
  },
  {
    method: 'post',
    path: '/v1/deploys/:id/approvals',
    summary:
      'Approve a pending deploy with an Ed25519 signature of its message (docs/protocol.md §5)',
    auth: 'api-key',
    scopes: ['approvals:write'],
    body: approvalRequestSchema,
    responses: {
      200: json('approval recorded and audited', r.approvalAnswerSchema),
      400: problem('invalid_body'),
      401: problem('invalid_api_key or invalid_approval'),
      403: problem('insufficient_scope or unknown_approver'),
      404: problem('unknown_deploy'),
      409: problem('already_approved'),
      410: problem('deploy_expired or deploy_closed'),
      413: problem('payload_too_large'),
      415: problem('unsupported_media_type'),
      503: problem('unavailable: a store or the audit log is down'),
    },
    handler: (deps) => approveRoute(deps),
  },
  {
    method: 'get',
    path: '/v1/policy',
    summary:
      'Active policy revision, the last reload attempt, the candidate (docs/protocol.md §4, §13)',
    auth: 'api-key',
    scopes: ['audit:read'],
    responses: { 200: json('policy status', r.policyStatusSchema), ...authProblems },
    handler: (deps) => policyRoute(deps.policy, deps.candidate),
  },
  {
    method: 'post',
    path: '/v1/policy/evaluate',
    summary:
      'What-if: the active (and candidate) policy verdict for a client and event; no side effect (docs/protocol.md §13)',
    auth: 'api-key',
    scopes: ['policy:test'],
    body: policyEvaluateRequestSchema,
    responses: {
      200: json('verdict; nothing audited, no nonce or rate used', r.policyEvaluateAnswerSchema),
      400: problem('invalid_body'),
      ...authProblems,
      413: problem('payload_too_large'),
      415: problem('unsupported_media_type'),
    },
    handler: (deps) => policyEvaluateRoute(deps),
  },
  {
    method: 'get',
    path: '/v1/audit/checkpoint',
    summary: 'C2SP tlog-checkpoint signed note of the current tree (docs/protocol.md §6)',
    auth: 'api-key',
    scopes: ['audit:read'],
    responses: {
      200: { description: 'signed note', contentType: 'text/plain; charset=utf-8' },
      ...authProblems,
    },
    handler: withReader(auditHandlers.checkpoint),
  },
  {
    method: 'get',
    path: '/v1/audit/key',
    summary: 'The log origin and Ed25519 checkpoint key',
    auth: 'api-key',
    scopes: ['audit:read'],
    responses: { 200: json('key', r.auditKeySchema), ...authProblems },
    handler: withReader(auditHandlers.key),
  },
  {
    method: 'get',
    path: '/v1/audit/entries/:index',
    summary: 'One audit entry with its exact leaf text',
    auth: 'api-key',
    scopes: ['audit:read'],
    responses: {
      200: json('entry', r.auditEntryViewSchema),
      ...authProblems,
      400: problem('invalid_range'),
    },
    handler: withReader(auditHandlers.entry),
  },
  {
    method: 'get',
    path: '/v1/audit/entries',
    summary: 'A batch of audit entries (at most 256)',
    auth: 'api-key',
    scopes: ['audit:read'],
    query: { start: { schema: index, required: true }, count: { schema: index, required: true } },
    responses: {
      200: json('entries', r.auditEntriesSchema),
      ...authProblems,
      400: problem('invalid_range'),
    },
    handler: withReader(auditHandlers.entries),
  },
  {
    method: 'get',
    path: '/v1/audit/proofs/inclusion',
    summary: 'RFC 9162 inclusion proof',
    auth: 'api-key',
    scopes: ['audit:read'],
    query: { index: { schema: index, required: true }, size: { schema: index, required: false } },
    responses: {
      200: json('proof', r.inclusionProofSchema),
      ...authProblems,
      400: problem('invalid_range'),
    },
    handler: withReader(auditHandlers.inclusion),
  },
  {
    method: 'get',
    path: '/v1/audit/proofs/consistency',
    summary: 'RFC 9162 consistency proof (from ≥ 1)',
    auth: 'api-key',
    scopes: ['audit:read'],
    query: { from: { schema: index, required: true }, to: { schema: index, required: false } },
    responses: {
      200: json('proof', r.consistencyProofSchema),
      ...authProblems,
      400: problem('invalid_range'),
    },
    handler: withReader(auditHandlers.consistency),
  },
  {
    method: 'get',
    path: '/v1/deliveries',
    summary: 'Deliveries to the targets behind the gateway, by state (docs/protocol.md §11)',
    auth: 'api-key',
    scopes: ['audit:read'],
    query: {
      state: {
        schema: z.enum(DELIVERY_STATES).describe('default pending'),
        required: false,
      },
      limit: {
        schema: z
          .string()
          .regex(/^[0-9]+$/)
          .describe(`at most this many, 1..${MAX_DELIVERIES_LISTED} (default 100)`),
        required: false,
      },
    },
    responses: {
      200: json('deliveries', r.deliveriesSchema),
      400: problem('invalid_range (state, limit)'),
      ...authProblems,
      503: problem('unavailable: the outbox is down'),
    },
    handler: (deps) => listDeliveriesRoute(deps),
  },
  {
    method: 'post',
    path: '/v1/deliveries/:id/retry',
    summary: 'Put a dead delivery back to pending, due now (docs/protocol.md §11)',
    auth: 'api-key',
    scopes: ['deliveries:write'],
    responses: {
      200: json('pending again', r.deliveryRetrySchema),
      ...authProblems,
      404: problem('unknown_delivery'),
      409: problem('delivery_not_dead'),
      503: problem('unavailable: the outbox is down'),
    },
    handler: (deps) => retryDeliveryRoute(deps),
  },
];
