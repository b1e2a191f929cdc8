import type { ApprovalQuorum } from './pending-deploy.js';

/**
 * The approvers whose votes count: each name of `quorum.approvers` at most once, in order
 * of first acceptance; names outside the list (e.g. removed by a policy reload) and repeats
 * are ignored. Work is bounded by the two list lengths (both small and server-side).
 */
export function countedApprovers(
  approvedBy: readonly string[],
  quorum: Pick<ApprovalQuorum, 'approvers'>,
): string[] {
  const eligible = new Set(quorum.approvers);
  const counted: string[] = [];
  const seen = new Set<string>();
  for (const name of approvedBy) {
    if (!eligible.has(name) || seen.has(name)) continue;
    seen.add(name);
    counted.push(name);
  }
  return counted;
}

/** True when the distinct eligible approvals reach the quorum's threshold. */
export function quorumReached(approvedBy: readonly string[], quorum: ApprovalQuorum): boolean {
  return countedApprovers(approvedBy, quorum).length >= quorum.threshold;
}
