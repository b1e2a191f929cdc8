import type { ApprovalQuorum, Vote } from './pending-deploy.js';

/**
 * The votes that count (docs/protocol.md §5, §12): for each name of `quorum.approvers`, its first
 * vote made with the key the current policy maps that name to; names outside the list
 * (e.g. removed by a policy reload), repeats and votes under a rotated-out key are ignored.
 * Result in order of acceptance. Work is bounded by the two list lengths (both small and
 * server-side).
 */
export function countedVotes(
  votes: readonly Vote[],
  quorum: Pick<ApprovalQuorum, 'approvers' | 'keys'>,
): Vote[] {
  const eligible = new Set(quorum.approvers);
  const counted: Vote[] = [];
  const seen = new Set<string>();
  for (const vote of votes) {
    if (!eligible.has(vote.approver) || seen.has(vote.approver)) continue;
    if (!Object.hasOwn(quorum.keys, vote.approver)) continue;
    if (quorum.keys[vote.approver] !== vote.publicKey) continue;
    seen.add(vote.approver);
    counted.push(vote);
  }
  return counted;
}

/** Names of the counted votes, in order of acceptance. */
export function countedApprovers(
  votes: readonly Vote[],
  quorum: Pick<ApprovalQuorum, 'approvers' | 'keys'>,
): string[] {
  return countedVotes(votes, quorum).map((v) => v.approver);
}

/** True when the counted votes reach the quorum's threshold. */
export function quorumReached(votes: readonly Vote[], quorum: ApprovalQuorum): boolean {
  return countedVotes(votes, quorum).length >= quorum.threshold;
}

/** Distinct approver names of `votes` in order of first acceptance (the `approvedBy` view). */
export function voterNames(votes: readonly Vote[]): string[] {
  return [...new Set(votes.map((v) => v.approver))];
}

/** True when `votes` already holds a vote of `approver` made with `publicKey`. */
export function hasVote(votes: readonly Vote[], approver: string, publicKey: string): boolean {
  return votes.some((v) => v.approver === approver && v.publicKey === publicKey);
}
