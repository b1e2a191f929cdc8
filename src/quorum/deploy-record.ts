import { voterNames } from './count-votes.js';
import type { PendingDeploy, ReleaseDecision, Vote } from './pending-deploy.js';
import { HEX_32, HEX_64 } from '../protocol/grammar.js';

/** A security key's id (ApproverKey.id): its comment-free OpenSSH line, bounded. */
const SK_KEY_ID = /^sk-ssh-ed25519@openssh\.com [A-Za-z0-9+/]{1,1000}={0,2}$/;
/** Longest armored SSH signature a store accepts back (a real one is under 1 KiB). */
const MAX_SSH_SIGNATURE = 8192;

/**
 * A frozen copy with `approvedBy` derived from `votes`, so no caller can change a stored
 * record through a returned object and the two can never disagree. Every adapter returns
 * records made by this function.
 */
export function freezeDeploy(deploy: PendingDeploy): PendingDeploy {
  const votes = Object.freeze(deploy.votes.map((v) => Object.freeze({ ...v })));
  return Object.freeze({
    ...deploy,
    approvers: Object.freeze([...deploy.approvers]),
    votes,
    approvedBy: Object.freeze(voterNames(votes)),
    ...(deploy.decision !== undefined && { decision: Object.freeze({ ...deploy.decision }) }),
    ...(deploy.approvals !== undefined && {
      approvals: Object.freeze(deploy.approvals.map((v) => Object.freeze({ ...v }))),
    }),
  });
}

/**
 * A vote read back from a store, checked field by field (a store is outside the process;
 * what it returns is not trusted to have the right shape). Undefined when malformed.
 */
export function parseStoredVote(value: unknown): Vote | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['approver'] !== 'string' || v['approver'].length === 0) return undefined;
  if (
    typeof v['publicKey'] !== 'string' ||
    !(HEX_32.test(v['publicKey']) || SK_KEY_ID.test(v['publicKey']))
  )
    return undefined;
  const base = { approver: v['approver'], publicKey: v['publicKey'] };
  if (typeof v['signature'] === 'string' && HEX_64.test(v['signature']))
    return { ...base, signature: v['signature'] };
  if (typeof v['sshSignature'] === 'string' && v['sshSignature'].length <= MAX_SSH_SIGNATURE)
    return { ...base, sshSignature: v['sshSignature'] };
  return undefined;
}

/** A release decision read back from a store, or undefined when malformed. */
export function parseStoredDecision(value: unknown): ReleaseDecision | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  if (!Number.isSafeInteger(d['index']) || (d['index'] as number) < 0) return undefined;
  if (typeof d['leafHash'] !== 'string' || !HEX_32.test(d['leafHash'])) return undefined;
  return { index: d['index'] as number, leafHash: d['leafHash'] };
}
