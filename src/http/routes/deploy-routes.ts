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
  type ApprovalQuorum,
  type PendingDeploy,
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
      const found = DEPLOY_ID.test(id) ? await guardStore(() => deps.deploys.get(id)) : undefined;
      if (found === undefined) throw new GatewayError('unknown_deploy');
      const policy = deps.policy.current();
      const rule = policy?.quorumFor(found.action);
      const deploy = await finishRelease(deps, found, rule, policy?.revision);
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
  const found = DEPLOY_ID.test(id) ? await guardStore(() => deps.deploys.get(id)) : undefined;
  // One policy snapshot for the whole request, as in POST /v1/events.
  const policy = deps.policy.current();
  // A quorum reached while the log was failing is released (audited) before anything else.
  const deploy =
    found === undefined
      ? undefined
      : await finishRelease(deps, found, policy?.quorumFor(found.action), policy?.revision);
  const check = checkApproval(deploy, request, policy, deps.clock.nowMs());
  if (!check.ok) throw new GatewayError(check.code, { detail: check.detail });

  const nowMs = deps.clock.nowMs();
  const result = await guardStore(() =>
    deps.deploys.recordApproval(id, request.approver, nowMs, check.quorum),
  );
  if (result.outcome !== 'recorded') throw new GatewayError(result.outcome);

  // The vote is recorded; if the log cannot take it the client gets 503 and a retry
  // answers 409 (the vote stays visible in GET): failing closed on the answer.
  const audit = await guardStore(() =>
    deps.audit.append(
      approvalAuditEntry({
        id: randomId(),
        client: client.id,
        deploy: result.deploy,
        approver: request.approver,
        signature: request.signature,
        policyRevision: check.policyRevision,
        nowMs,
      }),
    ),
  );
  let decisionAudit: AuditReceipt | undefined;
  let updated = result.deploy;
  if (updated.state === 'approved') {
    const released = await release(deps, updated, check.quorum, check.policyRevision);
    updated = released.deploy;
    decisionAudit = released.audit;
  }
  return c.json({
    ...deployView(updated, nowMs, check.quorum),
    audit,
    ...(decisionAudit === undefined
      ? {}
      : { decision: { decision: 'allow', audit: decisionAudit } }),
  });
}

/**
 * Appends the `allow` decision of an approved deploy, then marks it released. Until this
 * succeeds readers see the deploy as `pending` (deploy-view.ts), so no one learns of an
 * approval the audit log cannot prove. A failure is 503; the next read or approval of the
 * deploy tries again (at least once: a race may append the same `allow` twice).
 */
async function release(
  deps: DeployRoutesDeps,
  deploy: PendingDeploy,
  quorum: ApprovalQuorum,
  policyRevision: string,
): Promise<{ deploy: PendingDeploy; audit: AuditReceipt }> {
  const audit = await guardStore(() =>
    deps.audit.append(
      quorumAllowAuditEntry({
        deploy,
        approvers: countedApprovers(deploy.approvedBy, quorum),
        policyRevision,
        nowMs: deps.clock.nowMs(),
      }),
    ),
  );
  await guardStore(() => deps.deploys.markReleased(deploy.id));
  return { deploy: { ...deploy, released: true }, audit };
}

/** `deploy`, released first if its quorum was reached but its `allow` is not yet audited. */
async function finishRelease(
  deps: DeployRoutesDeps,
  deploy: PendingDeploy,
  rule: ApprovalQuorum | undefined,
  policyRevision: string | undefined,
): Promise<PendingDeploy> {
  if (deploy.state !== 'approved' || deploy.released) return deploy;
  const quorum = rule ?? { threshold: deploy.threshold, approvers: deploy.approvers };
  return (await release(deps, deploy, quorum, policyRevision ?? deploy.policy)).deploy;
}
