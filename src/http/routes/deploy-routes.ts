import { Hono, type Context } from 'hono';
import type { AuditAppender, AuditReceipt } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { ClientRegistry } from '../../config/clients.js';
import { randomId } from '../../crypto/index.js';
import { GatewayError } from '../../errors.js';
import { guardStore } from '../guard-store.js';
import { parseJsonBody } from '../json-body.js';
import type { PolicyProvider } from '../../policy/active-policy.js';
import {
  approvalAuditEntry,
  approvalRequestSchema,
  checkApproval,
  countedApprovers,
  deployView,
  quorumAllowAuditEntry,
  type PendingDeployStore,
} from '../../quorum/index.js';
import { authenticateApiKey, requireApiKey } from '../authenticate.js';
import type { GatewayEnv } from '../env.js';
import { readRawRequest } from '../raw-request.js';

export interface DeployRoutesDeps {
  readonly clients: ClientRegistry;
  readonly deploys: PendingDeployStore;
  readonly policy: PolicyProvider;
  readonly audit: AuditAppender;
  readonly clock: Clock;
}

/**
 * Largest approval body read. A valid one is under 250 bytes; the bound keeps the work per
 * request small whatever a client sends (413 `payload_too_large` beyond it).
 */
export const APPROVAL_BODY_LIMIT_BYTES = 4096;

/** Deploy ids are server-issued lowercase hex; anything else cannot exist (404, no lookup). */
const DEPLOY_ID = /^[0-9a-f]{32,128}$/;

/**
 * `GET /v1/deploys/:id` and `POST /v1/deploys/:id/approvals` (PROTOCOL §5, §7).
 *
 * Approval checks, in order: API key and `approvals:write` (401/403) → body read within
 * 4 KiB (413) → JSON content type (415) → strict body: approver 1–64 chars, signature
 * exactly 128 lowercase hex (400 `invalid_body`) → deploy exists (404 `unknown_deploy`) →
 * already approved (410 `deploy_closed`) → past `expiresAt` (410 `deploy_expired`) →
 * approver in the CURRENT policy's quorum for the deploy's action and holding a key
 * (403 `unknown_approver`) → strict Ed25519 signature over the STORED message (401
 * `invalid_approval`) → atomic record in the store, counted against the CURRENT policy's
 * threshold and list (409 `already_approved`, 410 on a concurrent close/expiry). Then the
 * approval is audited (and, when it completes the quorum, the `allow` decision), and the
 * answer is sent only after those appends are durable.
 */
export function deployRoutes(deps: DeployRoutesDeps): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();

  routes.get(
    '/v1/deploys/:id',
    requireApiKey(deps.clients, 'events:write', 'approvals:write', 'audit:read'),
    async (c) => {
      const id = c.req.param('id');
      const deploy = DEPLOY_ID.test(id) ? await guardStore(() => deps.deploys.get(id)) : undefined;
      if (deploy === undefined) throw new GatewayError('unknown_deploy');
      const rule = deps.policy.current()?.quorumFor(deploy.action);
      return c.json(deployView(deploy, deps.clock.nowMs(), rule));
    },
  );

  routes.post('/v1/deploys/:id/approvals', async (c) => approve(c, deps));
  return routes;
}

async function approve(c: Context<GatewayEnv>, deps: DeployRoutesDeps): Promise<Response> {
  const raw = await readRawRequest(c, APPROVAL_BODY_LIMIT_BYTES);
  const client = authenticateApiKey(deps.clients, raw.header('x-api-key'), ['approvals:write']);
  c.set('client', client);
  const request = parseJsonBody(approvalRequestSchema, raw.header('content-type'), raw.body);

  const id = c.req.param('id') ?? '';
  const deploy = DEPLOY_ID.test(id) ? await guardStore(() => deps.deploys.get(id)) : undefined;
  // One policy snapshot for the whole request, as in POST /v1/events.
  const policy = deps.policy.current();
  const check = checkApproval(deploy, request, policy, deps.clock.nowMs());
  if (!check.ok) throw new GatewayError(check.code, { detail: check.detail });

  const nowMs = deps.clock.nowMs();
  const result = await guardStore(() =>
    deps.deploys.recordApproval(id, request.approver, nowMs, check.quorum),
  );
  if (result.outcome !== 'recorded') throw new GatewayError(result.outcome);

  const updated = result.deploy;
  const policyRevision = policy?.revision ?? '';
  // The vote is recorded; if the log cannot take it the client gets 503 and may retry
  // (a retry answers 409, and the vote stays visible in GET): failing closed on the answer.
  const audit = await guardStore(() =>
    deps.audit.append(
      approvalAuditEntry({
        id: randomId(),
        client: client.id,
        deploy: updated,
        approver: request.approver,
        signature: request.signature,
        policyRevision,
        nowMs,
      }),
    ),
  );
  let decisionAudit: AuditReceipt | undefined;
  if (updated.state === 'approved') {
    decisionAudit = await guardStore(() =>
      deps.audit.append(
        quorumAllowAuditEntry({
          deploy: updated,
          approvers: countedApprovers(updated.approvedBy, check.quorum),
          policyRevision,
          nowMs,
        }),
      ),
    );
  }
  return c.json({
    ...deployView(updated, nowMs, check.quorum),
    audit,
    ...(decisionAudit === undefined
      ? {}
      : { decision: { decision: 'allow', audit: decisionAudit } }),
  });
}
