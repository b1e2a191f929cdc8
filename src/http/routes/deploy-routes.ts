import type { Context } from 'hono';
import { GatewayError } from '../../errors.js';
import { holdWhilePending } from '../../gateway/hold-deploy.js';
import { issueAttestation } from '../../gateway/issue-attestation.js';
import { readDeploy, type DeployReading } from '../../gateway/read-deploy.js';
import { deployStateAt } from '../../quorum/deploy-state.js';
import { recordApproval } from '../../gateway/record-approval.js';
import { APPROVAL_BODY_LIMIT_BYTES, approvalRequestSchema } from '../bodies.js';
import type { GatewayEnv } from '../env.js';
import type { HttpDeps } from '../http-deps.js';
import { parseJsonBody } from '../json-body.js';
import { readRawRequest } from '../raw-request.js';
import { deployView } from '../responses/deploy-view.js';

/**
 * `GET /v1/deploys/:id[?wait=0..60]` (docs/protocol.md §5, §10), behind key-only auth: the
 * readDeploy use case, then the view. A deploy is shown `approved` only once its `allow`
 * entry is durable. With `wait`, a pending deploy's answer is held until it changes state
 * (a notification from whichever instance changed it, or its expiry), the client
 * disconnects, or `wait` seconds pass; held requests are capped per client (429
 * `rate_limited`) and per instance (503 `unavailable`), both with `Retry-After: 1`.
 */
export function getDeployRoute(deps: HttpDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const id = c.req.param('id') ?? '';
    const waitMs = parseWait(c.req.query('wait'));
    const read = (): Promise<DeployReading> => readDeploy(deps.ports, id, deps.policy.current());
    if (waitMs === 0) {
      const { deploy, quorum } = await read();
      return c.json(deployView(deploy, deps.nowMs(), quorum));
    }
    const slot = deps.releases.slots.acquire(c.get('client').id);
    // Beyond the caps nothing is held: the client is told to come back in a second.
    if (!slot.ok)
      throw slot.full === 'client'
        ? new GatewayError('rate_limited', { detail: 'too many held requests', retryAfter: 1 })
        : new GatewayError('unavailable', { retryAfter: 1 });
    try {
      const { deploy, quorum } = await holdWhilePending({
        watch: deps.releases.watch,
        id,
        waitMs,
        read,
        isPending: (r) => deployStateAt(r.deploy, deps.nowMs()) === 'pending',
        msUntilExpiry: (r) => r.deploy.expiresAt * 1000 - deps.nowMs(),
        // Aborted when the client disconnects: the slot is freed at once.
        signal: c.req.raw.signal,
      });
      return c.json(deployView(deploy, deps.nowMs(), quorum));
    } finally {
      slot.release();
    }
  };
}

/** Most seconds a GET may be held (docs/protocol.md §10). */
export const MAX_WAIT_SECONDS = 60;

/** `wait` as ms: absent is 0; digits 0..60; anything else 400 `invalid_range`. */
function parseWait(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^[0-9]{1,12}$/.test(text) || Number(text) > MAX_WAIT_SECONDS)
    throw new GatewayError('invalid_range', {
      detail: `wait must be whole seconds from 0 to ${MAX_WAIT_SECONDS}`,
    });
  return Number(text) * 1000;
}

/**
 * `GET /v1/deploys/:id/attestation` (docs/protocol.md §10): the DSSE envelope of an approved
 * deploy, built once and then served byte for byte. Not mounted without a log signer.
 */
export function getAttestationRoute(deps: HttpDeps) {
  const attestation = deps.releases.attestation;
  if (attestation === undefined) return undefined;
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const text = await issueAttestation(
      deps.ports,
      attestation,
      c.req.param('id') ?? '',
      deps.policy.current(),
    );
    return c.body(text, 200, { 'content-type': 'application/json' });
  };
}

/**
 * `POST /v1/deploys/:id/approvals` (docs/protocol.md §5). Checks, in order: API key and
 * `approvals:write` (401/403, by the key-only middleware, before the body is read) → body
 * read within 4 KiB (413) → JSON content type (415) → strict body: approver 1–64 chars,
 * signature exactly 128 lowercase hex (400 `invalid_body`) → then the recordApproval use
 * case (404, 410, 403 `unknown_approver`, 401 `invalid_approval`, 409, 503). The answer is
 * sent only after the approval (and, when it completes the quorum, the `allow` decision)
 * is durable in the audit log.
 */
export function approveRoute(deps: HttpDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const raw = await readRawRequest(c, APPROVAL_BODY_LIMIT_BYTES);
    const approval = parseJsonBody(approvalRequestSchema, raw.header('content-type'), raw.body);
    const recorded = await recordApproval(deps.ports, {
      deployId: c.req.param('id') ?? '',
      clientId: c.get('client').id,
      approval,
      // One policy snapshot for the whole request, as in POST /v1/events.
      policy: deps.policy.current(),
    });
    const view = deployView(recorded.deploy, deps.nowMs(), recorded.quorum);
    return c.json({
      ...view,
      audit: recorded.audit,
      // The approval that released the deploy also carries its allow receipt; `index` and
      // `leafHash` are the §10 view's, `decision`/`audit` what this answer always had.
      ...(recorded.decision !== undefined && {
        decision: { ...view.decision, decision: 'allow', audit: recorded.decision },
      }),
    });
  };
}
