import { fromHex, verifyEd25519 } from '../crypto/index.js';
import type { ApproverKey } from '../policy/approver-key.js';
import { verifySshApproval } from '../quorum/ssh-approval.js';
import { HEX_64 } from '../protocol/grammar.js';

/**
 * How one vote of a release statement is checked against the verifier's OWN policy key
 * (docs/protocol.md §10 check 4, §12). The key inside the statement is never consulted.
 */

/** What a verifier needs from its trusted policy (an `ActivePolicy` satisfies it). */
export interface TrustedPolicy {
  /** The quorum the policy sets for `action`, if any. */
  quorumFor(
    action: string,
  ): { readonly threshold: number; readonly approvers: readonly string[] } | undefined;
  /** The 32-byte Ed25519 key for raw signatures the policy lists for `name`, if any. */
  approverKey(name: string): Uint8Array | undefined;
  /** The approver's key in any format (for SSH signatures, §12), if defined. */
  approver(name: string): ApproverKey | undefined;
}

/** A vote as it appears in a statement (shape-checked, content untrusted). */
export interface StatementVote {
  readonly approver: string;
  readonly signature?: string | undefined;
  readonly sshSignature?: string | undefined;
}

const encoder = new TextEncoder();

/**
 * Why `vote` does not count, or undefined when it is a valid signature over `message` by
 * the key `policy` lists for its approver: a raw strict Ed25519 `signature`, or an SSHSIG
 * `sshSignature` in the `codex-approval` namespace (user presence required for security
 * keys). Never throws: all of it is attacker input.
 */
export function voteProblem(
  vote: StatementVote,
  message: string,
  policy: TrustedPolicy,
): string | undefined {
  if (vote.signature !== undefined && vote.sshSignature !== undefined)
    return 'carries two signatures';
  if (vote.sshSignature !== undefined) {
    const key = policy.approver(vote.approver);
    if (key === undefined) return 'the trusted policy has no key for this approver';
    return verifySshApproval(message, vote.sshSignature, key)
      ? undefined
      : 'SSH signature does not verify under the trusted policy key';
  }
  if (vote.signature === undefined || !HEX_64.test(vote.signature))
    return 'signature is not 128 lowercase hex';
  const key = policy.approverKey(vote.approver);
  if (key === undefined) return 'the trusted policy has no Ed25519 key for this approver';
  return verifyEd25519(fromHex(vote.signature), encoder.encode(message), key)
    ? undefined
    : 'signature does not verify under the trusted policy key';
}
