import type { DeployState, PendingDeploy } from './pending-deploy.js';

/**
 * The state a reader sees: `approved` is final, and shown only once the release is audited
 * (`released`); a deploy that is not approved is `expired` once the clock is past
 * `expiresAt` (at `expiresAt` itself it is still pending).
 */
export function deployStateAt(deploy: PendingDeploy, nowMs: number): DeployState {
  if (deploy.state === 'approved') return deploy.released ? 'approved' : 'pending';
  return nowMs > deploy.expiresAt * 1000 ? 'expired' : 'pending';
}

/** Unix seconds as RFC 3339 UTC with milliseconds. */
export function unixSecondsToRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
