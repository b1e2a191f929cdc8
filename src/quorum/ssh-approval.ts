import { type SshsigHash, verifySshSignature } from '../crypto/index.js';
import { type ApproverKey, parseApproverKey } from '../policy/approver-key.js';

/**
 * Approvals made with `ssh-keygen -Y sign` (docs/protocol.md §12): an SSHSIG in the namespace
 * `codex-approval` over the exact §5 message, by the approver's policy key.
 */

/** The SSHSIG namespace of approvals: `ssh-keygen -Y sign -n codex-approval`. */
export const SSH_APPROVAL_NAMESPACE = 'codex-approval';

/** Signature formats an approval can carry, as recorded in the audit log. */
export type ApprovalSignatureFormat = 'ed25519' | 'sshsig-ed25519' | 'sshsig-sk-ed25519';

/** A verified SSH approval: what the audit entry records about it. */
export interface SshApprovalCheck {
  readonly ok: true;
  readonly format: Exclude<ApprovalSignatureFormat, 'ed25519'>;
  readonly hashAlgorithm: SshsigHash;
  /** `SHA256:…` of the key that signed (the policy's key). */
  readonly fingerprint: string;
  /** sk keys only: the FIDO flags and counter the authenticator reported. */
  readonly sk?: { readonly flags: number; readonly counter: number };
}

/**
 * Checks an armored SSH signature of `message` (the server's own text) against the key the
 * policy lists for the approver. Refused, with a reason: anything not exactly an SSHSIG,
 * another namespace, a hash other than sha256/sha512, another key (or key kind), a
 * security-key signature without user presence, a signature that does not verify.
 */
export function checkSshApproval(
  message: string,
  sshSignatureArmor: string,
  policyKey: ApproverKey,
): SshApprovalCheck | { readonly ok: false; readonly reason: string } {
  const result = verifySshSignature(
    sshSignatureArmor,
    new TextEncoder().encode(message),
    SSH_APPROVAL_NAMESPACE,
    policyKey.ssh,
  );
  if (!result.ok) return result;
  return {
    ok: true,
    format: result.key.type === 'ssh-ed25519' ? 'sshsig-ed25519' : 'sshsig-sk-ed25519',
    hashAlgorithm: result.hashAlgorithm,
    fingerprint: policyKey.fingerprint,
    ...(result.sk === undefined ? {} : { sk: result.sk }),
  };
}

/**
 * True when `sshSignatureArmor` is a valid `codex-approval` SSHSIG of `message` by
 * `policyKey` — the policy's value for the approver (64 hex or an OpenSSH public key line)
 * or an already parsed key. For offline verifiers (release attestations): pure, total,
 * never throws.
 */
export function verifySshApproval(
  message: string,
  sshSignatureArmor: string,
  policyKey: string | ApproverKey,
): boolean {
  if (typeof message !== 'string' || typeof sshSignatureArmor !== 'string') return false;
  let key: ApproverKey;
  if (typeof policyKey === 'string') {
    const parsed = parseApproverKey(policyKey);
    if (!parsed.ok) return false;
    key = parsed.key;
  } else {
    key = policyKey;
  }
  return checkSshApproval(message, sshSignatureArmor, key).ok;
}
