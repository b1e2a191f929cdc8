import type { Context } from 'hono';
import type { AuditAppender, AuditReceipt } from '../../audit/audit-log.js';
import { decisionEntry, type DecisionEntryInput } from '../../audit/entry.js';
import { randomId, sha256Hex } from '../../crypto/index.js';
import { GatewayError } from '../../errors.js';
import { eventSchema } from '../../events/event-schema.js';
import { guardStore } from '../guard-store.js';
import { parseJsonBody } from '../json-body.js';
import type { PolicyProvider } from '../../policy/active-policy.js';
import {
  openPendingDeploy,
  pendingDeployAnswer,
  type PendingDeployStore,
} from '../../quorum/index.js';
import { noopMetrics, timeAsync, timeSync, type Metrics } from '../../metrics/metrics-port.js';
import type { GatewayEnv } from '../env.js';
import { readRawRequest } from '../raw-request.js';
import { authenticateSignedRequest, type SignedRequestDeps } from '../signed-request.js';

export interface EventsRouteDeps extends SignedRequestDeps {
  readonly bodyLimitBytes: number;
  readonly policy: PolicyProvider;
  readonly deploys: PendingDeployStore;
  readonly audit: AuditAppender;
  /** Stage timings (verify, policy); audit appends are timed by the app's audit wrapper. */
  readonly metrics?: Metrics;
}

/** Reason given when no valid policy has ever been loaded: everything is denied. */
export const NO_POLICY_REASON = 'no_active_policy';

/**
 * `POST /v1/events` (PROTOCOL §3): authenticate (§2 checks 1–6), parse (check 7), decide
 * under ONE policy snapshot, hold quorum actions as pending deploys, append the decision
 * to the audit log and answer only once the entry is durable.
 */
export function eventsRoute(deps: EventsRouteDeps) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const raw = await readRawRequest(c, deps.bodyLimitBytes);
    // The snapshot taken here serves the whole request, even if a reload lands meanwhile.
    const policy = deps.policy.current();
    const metrics = deps.metrics ?? noopMetrics;
    const auth = await timeAsync(metrics, 'verify', () =>
      authenticateSignedRequest(deps, raw, 'events:write', (id) => policy?.ratePerMinute(id)),
    );
    c.set('client', auth.client);
    const event = parseJsonBody(eventSchema, raw.header('content-type'), raw.body);

    const nowMs = deps.nowMs();
    const base = {
      id: randomId(),
      nowMs,
      client: auth.client.id,
      action: event.action,
      target: event.target,
      request: `sha256:${auth.bodySha256}`,
    };
    if (policy === undefined) {
      const record: DecisionEntryInput = {
        ...base,
        decision: 'deny',
        reasons: [NO_POLICY_REASON],
        policy: null,
      };
      throw denied(record, await appendAudit(deps.audit, record));
    }
    const verdict = timeSync(metrics, 'policy', () => policy.evaluate(auth.client.id, event));
    if (verdict.decision === 'deny') {
      const record: DecisionEntryInput = {
        ...base,
        decision: 'deny',
        reasons: verdict.reasons,
        policy: policy.revision,
      };
      throw denied(record, await appendAudit(deps.audit, record));
    }
    const rule = policy.quorumFor(event.action);
    if (rule === undefined) {
      const record: DecisionEntryInput = {
        ...base,
        decision: 'allow',
        reasons: [],
        policy: policy.revision,
      };
      const audit = await appendAudit(deps.audit, record);
      return c.json({ decision: 'allow', id: record.id, policy: policy.revision, audit }, 200);
    }
    const deploy = openPendingDeploy({
      decisionId: base.id,
      clientId: auth.client.id,
      event,
      requestDigest: base.request,
      policyRevision: policy.revision,
      rule,
      nowMs,
    });
    await guardStore(() => deps.deploys.create(deploy));
    const record: DecisionEntryInput = {
      ...base,
      decision: 'pending',
      reasons: [],
      policy: policy.revision,
      // The quorum terms the deploy was opened with, so an auditor can check the release.
      deploy: deploy.id,
      approvers: deploy.approvers,
      threshold: deploy.threshold,
      expiresAt: new Date(deploy.expiresAt * 1000).toISOString(),
      message: `sha256:${sha256Hex(deploy.message)}`,
    };
    const audit = await appendAudit(deps.audit, record);
    return c.json(
      {
        decision: 'pending',
        id: record.id,
        policy: policy.revision,
        deploy: pendingDeployAnswer(deploy, nowMs),
        audit,
      },
      202,
    );
  };
}

function denied(record: DecisionEntryInput, audit: AuditReceipt): GatewayError {
  return new GatewayError('policy_denied', {
    detail: `denied by ${record.reasons.join(', ')}`,
    extras: {
      decision: 'deny',
      id: record.id,
      policy: record.policy,
      reasons: record.reasons,
      audit,
    },
  });
}

/** Appends the decision; if the log cannot store it the request fails closed with 503. */
async function appendAudit(
  audit: AuditAppender,
  record: DecisionEntryInput,
): Promise<AuditReceipt> {
  return guardStore(() => audit.append(decisionEntry(record)));
}
