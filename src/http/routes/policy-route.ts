import type { Context } from 'hono';
import type { PolicyProvider } from '../../policy/active-policy.js';
import type { GatewayEnv } from '../env.js';
import type { CandidateView } from '../http-deps.js';

/**
 * `GET /v1/policy` (docs/protocol.md §4, §13): `{ revision, activatedAt, lastError?, lastAttemptAt,
 * candidate? }`. Mounted behind key-only auth with scope `audit:read` (route-table.ts).
 * `revision` and `activatedAt` are absent while no good policy was ever loaded (every
 * event is denied); `lastError` says why the latest attempt was refused, with JSON paths
 * into the file (the operator's own file, so echoing it leaks nothing the caller could not
 * read). With a candidate file configured, `candidate` is its own record (`revision` absent
 * while none loaded, `lastError` when its latest load failed) plus `disagreements` and
 * `compared`: events its current revision answered differently / was compared on.
 */
export function policyRoute(provider: PolicyProvider, candidate?: CandidateView) {
  return (c: Context<GatewayEnv>): Response => {
    c.header('cache-control', 'no-store');
    return c.json({
      ...provider.status(),
      ...(candidate !== undefined && { candidate: candidate.status() }),
    });
  };
}
