import { SSH_ED25519, fromHex, verifyEd25519 } from '../crypto/index.js';
import type { ErrorCode } from '../errors.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import { deployStateAt } from './deploy-state.js';
import type { ApprovalQuorum, PendingDeploy, Vote } from './pending-deploy.js';
import { type ApprovalSignatureFormat, checkSshApproval } from './ssh-approval.js';

/**
 * What an approver submits (docs/protocol.md §5, §12), already shape-checked at the edge: a raw
 * Ed25519 `signature` (128 lowercase hex) or an armored SSHSIG `sshSignature`.
 */
export type ApprovalInput =
  | { readonly approver: string; readonly signature: string }
  | { readonly approver: string; readonly sshSignature: string };

/** Outcome of the checks that run before an approval is recorded. */
export type ApprovalCheck =
  | {
      readonly ok: true;
      readonly quorum: ApprovalQuorum;
      readonly policyRevision: string;
      /** The vote to record, bound to the key that verified it. */
      readonly vote: Vote;
      /** For the audit entry: how the vote was signed and by which key (`SHA256:…`). */
      readonly signatureFormat: ApprovalSignatureFormat;
      readonly keyFingerprint: string;
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

const encoder = new TextEncoder();

/**
 * The quorum of `policy` for `action` with each listed approver's CURRENT key id (64 hex
 * for a plain Ed25519 key however the policy spells it, the comment-free OpenSSH line for
 * a security key; ApproverKey.id), or undefined when the policy has no rule for it. Votes
 * are counted against this (§12).
 */
export function currentQuorum(
  policy: ActivePolicy | undefined,
  action: string,
): ApprovalQuorum | undefined {
  const rule = policy?.quorumFor(action);
  if (policy === undefined || rule === undefined) return undefined;
  // A null-prototype map: an approver named `__proto__` is just a name.
  const keys = Object.create(null) as Record<string, string>;
  for (const name of rule.approvers) {
    const key = policy.approver(name);
    if (key !== undefined) keys[name] = key.id;
  }
  return { threshold: rule.threshold, approvers: [...rule.approvers], keys };
}

/**
 * Decides whether an approval may be recorded (docs/protocol.md §5), in this order:
 * unknown deploy → 404; approved → `deploy_closed`; past `expiresAt` → `deploy_expired`;
 * approver not in the CURRENT policy's quorum for the deploy's action, or without a key →
 * `unknown_approver`; signature not valid over the STORED message → `invalid_approval`.
 *
 * Pure and bounded: exactly one strict RFC 8032 verification per call, over a message the
 * server built itself; the signature was already shape-checked by the request schema and
 * `verifyEd25519` never throws, so a malformed signature is invalid, never a crash.
 * Using the current policy (not the one recorded at creation) means a hot reload that
 * removes an approver, changes the threshold or rotates a key takes effect for pending
 * deploys too.
 */
export function checkApproval(
  deploy: PendingDeploy | undefined,
  request: ApprovalInput,
  policy: ActivePolicy | undefined,
  nowMs: number,
): ApprovalCheck {
  if (deploy === undefined) return refuse('unknown_deploy', 'no such deploy');
  // The stored state, not the reader's view: a reached quorum closes the deploy even
  // before its release is audited.
  if (deploy.state === 'approved') return refuse('deploy_closed', 'deploy is already approved');
  if (deployStateAt(deploy, nowMs) === 'expired')
    return refuse('deploy_expired', 'deploy has expired');
  const quorum = currentQuorum(policy, deploy.action);
  const key = policy?.approver(request.approver);
  if (
    policy === undefined ||
    quorum === undefined ||
    !quorum.approvers.includes(request.approver) ||
    key === undefined
  )
    return refuse('unknown_approver', 'approver is not in the quorum for this deploy');
  const base = { ok: true, quorum, policyRevision: policy.revision } as const;
  if ('sshSignature' in request) {
    // SSHSIG (§12): namespace, hash, the exact policy key, user presence for sk keys; the
    // signed data is rebuilt from the STORED message. Exactly one strict verification.
    const ssh = checkSshApproval(deploy.message, request.sshSignature, key);
    if (!ssh.ok) return refuse('invalid_approval', `SSH signature refused: ${ssh.reason}`);
    return {
      ...base,
      vote: { approver: request.approver, publicKey: key.id, sshSignature: request.sshSignature },
      signatureFormat: ssh.format,
      keyFingerprint: key.fingerprint,
    };
  }
  // A raw signature carries no FIDO user-presence proof: security keys approve only by SSHSIG.
  if (
    key.ssh.type !== SSH_ED25519 ||
    !verifyEd25519(fromHex(request.signature), encoder.encode(deploy.message), key.ssh.publicKey)
  )
    return refuse('invalid_approval', 'signature does not verify for this approver and deploy');
  return {
    ...base,
    vote: { approver: request.approver, publicKey: key.id, signature: request.signature },
    signatureFormat: 'ed25519',
    keyFingerprint: key.fingerprint,
  };
}

function refuse(code: ErrorCode, detail: string): ApprovalCheck {
  return { ok: false, code, detail };
}
