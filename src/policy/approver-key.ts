import {
  SSH_ED25519,
  type SshEd25519Key,
  ed25519PublicKeyProblem,
  fromHex,
  isHex,
  parseSshPublicKeyLine,
  sshKeyBlob,
  sshFingerprint,
  sshKeyLabel,
  toHex,
} from '../crypto/index.js';

/**
 * An approver's key as the policy lists it (docs/protocol.md §4, §12): 64 lowercase hex (a raw
 * Ed25519 key) or an OpenSSH public key line, `ssh-ed25519 …` or
 * `sk-ssh-ed25519@openssh.com …` (a FIDO security key). A raw key and an `ssh-ed25519`
 * line with the same 32 bytes are the SAME key (duplicates, and either spelling verifies
 * the same signatures); an sk key is a different kind of key, because its signatures are
 * made over FIDO data bound to its application.
 */
export interface ApproverKey {
  /**
   * The key's identity, independent of spelling and comment: 64 lowercase hex for a plain
   * Ed25519 key (hex or `ssh-ed25519`), `sk-ssh-ed25519@openssh.com <base64 blob>` for a
   * security key. A vote is bound to this (docs/protocol.md §12): it counts while the policy maps
   * the approver to a key with the same id.
   */
  readonly id: string;
  /** How the policy spelled it. */
  readonly format: 'hex' | 'openssh';
  /** The key as an OpenSSH key; a hex key is its `ssh-ed25519` equivalent. */
  readonly ssh: SshEd25519Key;
  /** `SHA256:…`, exactly as `ssh-keygen -l` prints it for this key. */
  readonly fingerprint: string;
  /** `ED25519` or `ED25519-SK`, the label `ssh-keygen -l` prints. */
  readonly label: string;
}

/** Result of reading one approver value. */
export type ApproverKeyParse =
  | { readonly ok: true; readonly key: ApproverKey }
  | { readonly ok: false; readonly problem: string };

/**
 * Accepted spellings of an approver value, for the policy schema and editors; the full
 * check (canonical base64, key bytes, no control characters in a comment) is below.
 */
export const APPROVER_KEY_PATTERN =
  /^(?:[0-9a-f]{64}|(?:ssh-ed25519|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,2}(?: .*)?)$/;

/**
 * Reads an approver value: the key must be a canonical Ed25519 point of large order, and an
 * OpenSSH line must be well formed (see `parseSshPublicKeyLine`). Never throws.
 */
export function parseApproverKey(value: string): ApproverKeyParse {
  let ssh: SshEd25519Key;
  let format: ApproverKey['format'];
  if (isHex(value, 32)) {
    const publicKey = fromHex(value);
    const problem = ed25519PublicKeyProblem(publicKey);
    if (problem !== undefined)
      return { ok: false, problem: `not an acceptable Ed25519 public key: ${problem}` };
    ssh = { type: SSH_ED25519, publicKey };
    format = 'hex';
  } else {
    const parsed = parseSshPublicKeyLine(value);
    if (!parsed.ok) return parsed;
    ssh = parsed.key;
    format = 'openssh';
  }
  const id =
    ssh.type === SSH_ED25519
      ? toHex(ssh.publicKey)
      : `${ssh.type} ${Buffer.from(sshKeyBlob(ssh)).toString('base64')}`;
  return {
    ok: true,
    key: { id, format, ssh, fingerprint: sshFingerprint(ssh), label: sshKeyLabel(ssh) },
  };
}

/** A copy whose bytes the caller may not alter in the original. */
export function copyApproverKey(key: ApproverKey): ApproverKey {
  return { ...key, ssh: { ...key.ssh, publicKey: new Uint8Array(key.ssh.publicKey) } };
}
