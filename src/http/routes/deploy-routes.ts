import type { Context } from 'hono';
import { readDeploy } from '../../gateway/read-deploy.js';
import { recordApproval } from '../../gateway/record-approval.js';
import { APPROVAL_BODY_LIMIT_BYTES, approvalRequestSchema } from '../bodies.js';
import type { GatewayEnv } from '../env.js';
import type { HttpDeps } from '../http-deps.js';
import { parseJsonBody } from '../json-body.js';
import { readRawRequest } from '../raw-request.js';
import { deployView } from '../responses/deploy-view.js';

/**
 * `GET /v1/deploys/:id` (PROTOCOL §5, §10), behind key-only auth: the readDeploy use case,
 * then the view. A deploy is shown `approved` only once its `allow` entry is durable.
 */
export function getDeployRoute(deps: HttpDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const { deploy, quorum } = await readDeploy(
      deps.ports,
      c.req.param('id') ?? '',
      deps.policy.current(),
    );
    return c.json(deployView(deploy, deps.nowMs(), quorum));
  };
}

/**
 * `POST /v1/deploys/:id/approvals` (PROTOCOL §5). Checks, in order: API key and
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
