import { ED25519_KEY_BYTES, ed25519PublicKeyProblem } from './ed25519.js';
import { sha256 } from './hash.js';
import { SshReader, concatBytes, decodeCanonicalBase64, sshString } from './ssh-wire.js';

/**
 * OpenSSH Ed25519 public keys: plain `ssh-ed25519` (draft-ietf-curdle-ssh-ed25519) and the
 * FIDO security-key form `sk-ssh-ed25519@openssh.com` (OpenSSH PROTOCOL.u2f), which adds
 * the FIDO application string the authenticator binds into every signature. No other SSH
 * key type is accepted anywhere (RSA, ECDSA, certificates are refused by name).
 */

/** Key type name of a plain OpenSSH Ed25519 key. */
export const SSH_ED25519 = 'ssh-ed25519';
/** Key type name of an OpenSSH FIDO security key backed by Ed25519. */
export const SK_SSH_ED25519 = 'sk-ssh-ed25519@openssh.com';

/** Longest FIDO application string accepted (OpenSSH writes `ssh:` or `ssh:<name>`). */
export const MAX_SK_APPLICATION_BYTES = 256;
/** Longest public key blob accepted: an sk key with the longest application, with room. */
export const MAX_SSH_KEY_BLOB_BYTES = 512;

/** A parsed OpenSSH Ed25519 public key (plain or FIDO). */
export type SshEd25519Key =
  | { readonly type: typeof SSH_ED25519; readonly publicKey: Uint8Array }
  | {
      readonly type: typeof SK_SSH_ED25519;
      readonly publicKey: Uint8Array;
      /** The FIDO application (relying party id), e.g. `ssh:`. */
      readonly application: string;
    };

/** The SSH wire blob of a key (what `authorized_keys` base64-encodes and fingerprints hash). */
export function sshKeyBlob(key: SshEd25519Key): Uint8Array {
  const head = concatBytes(sshString(key.type), sshString(key.publicKey));
  return key.type === SK_SSH_ED25519 ? concatBytes(head, sshString(key.application)) : head;
}

/**
 * The key's fingerprint exactly as `ssh-keygen -l` prints it: `SHA256:` then the unpadded
 * standard base64 of SHA-256 over the key blob.
 */
export function sshFingerprint(key: SshEd25519Key): string {
  return `SHA256:${Buffer.from(sha256(sshKeyBlob(key)))
    .toString('base64')
    .replace(/=+$/, '')}`;
}

/** The key-type label `ssh-keygen -l` prints in parentheses: `ED25519` or `ED25519-SK`. */
export function sshKeyLabel(key: SshEd25519Key): string {
  return key.type === SK_SSH_ED25519 ? 'ED25519-SK' : 'ED25519';
}

/** Result of parsing a key: the key, or why it is refused. */
export type SshKeyParse =
  | { readonly ok: true; readonly key: SshEd25519Key }
  | { readonly ok: false; readonly problem: string };

/**
 * Parses a public key blob strictly: a known type, exactly 32 key bytes that are a
 * canonical Ed25519 point of large order, a printable application for sk keys, and no
 * trailing bytes. The blob comes from the wire (a policy line or a signature).
 */
export function parseSshKeyBlob(blob: Uint8Array): SshKeyParse {
  if (blob.length > MAX_SSH_KEY_BLOB_BYTES) return bad('key blob too long');
  const r = new SshReader(blob);
  const type = r.text(64);
  if (type !== SSH_ED25519 && type !== SK_SSH_ED25519)
    return bad(`unsupported key type${type === undefined ? '' : ` "${type}"`} (only Ed25519)`);
  const publicKey = r.string(ED25519_KEY_BYTES);
  if (publicKey === undefined || publicKey.length !== ED25519_KEY_BYTES)
    return bad('Ed25519 key must be 32 bytes');
  const problem = ed25519PublicKeyProblem(publicKey);
  if (problem !== undefined) return bad(`not an acceptable Ed25519 public key: ${problem}`);
  let key: SshEd25519Key;
  if (type === SK_SSH_ED25519) {
    const application = r.text(MAX_SK_APPLICATION_BYTES);
    if (application === undefined || application.length === 0)
      return bad('security key application must be 1-256 printable ASCII characters');
    key = { type, publicKey: new Uint8Array(publicKey), application };
  } else {
    key = { type, publicKey: new Uint8Array(publicKey) };
  }
  if (r.remaining !== 0) return bad('trailing bytes after the key');
  return { ok: true, key };
}

/** Longest OpenSSH public key line accepted (type, base64 blob, comment). */
export const MAX_SSH_KEY_LINE_LENGTH = 1024;

/**
 * Parses an OpenSSH public key line, `<type> <base64 blob> [comment]`, as in
 * `~/.ssh/id_ed25519.pub` or `authorized_keys` (without options). The base64 must be
 * canonical, its blob's type must equal the line's, and the comment, if any, is printable
 * text without control characters (it is shown to people, never interpreted).
 */
export function parseSshPublicKeyLine(line: string): SshKeyParse {
  if (line.length > MAX_SSH_KEY_LINE_LENGTH) return bad('key line too long');
  const m = /^([a-z0-9@.-]{1,64}) ([A-Za-z0-9+/]+={0,2})(?: ([^\p{Cc}]*))?$/u.exec(line);
  if (m === null) return bad('not an OpenSSH public key line "<type> <base64> [comment]"');
  const [, type, base64] = m;
  if (type !== SSH_ED25519 && type !== SK_SSH_ED25519)
    return bad(`unsupported key type "${type}" (only ${SSH_ED25519}, ${SK_SSH_ED25519})`);
  const blob = decodeCanonicalBase64(base64!);
  if (blob === undefined) return bad('key is not canonical base64');
  const parsed = parseSshKeyBlob(blob);
  if (parsed.ok && parsed.key.type !== type)
    return bad('key type in the line and in the key differ');
  return parsed;
}

function bad(problem: string): SshKeyParse {
  return { ok: false, problem };
}
