import { hash } from 'node:crypto';
import { ED25519_SIGNATURE_BYTES, verifyEd25519 } from './ed25519.js';
import { constantTimeEqual } from './compare.js';
import { sha256 } from './hash.js';
import {
  SK_SSH_ED25519,
  SSH_ED25519,
  MAX_SSH_KEY_BLOB_BYTES,
  type SshEd25519Key,
  parseSshKeyBlob,
  sshKeyBlob,
} from './ssh-key.js';
import { SshReader, concatBytes, sshString, sshUint32 } from './ssh-wire.js';
import { dearmorSshSignature } from './sshsig-armor.js';

/**
 * SSHSIG verification (OpenSSH PROTOCOL.sshsig §2–3) for Ed25519 and FIDO Ed25519 keys
 * (PROTOCOL.u2f "SSH U2F signatures"). Pure: the caller passes the message it built
 * itself, the namespace and the ONE key that may have signed; the signature is checked
 * against those, never against what the signature says about itself. Exactly one strict
 * RFC 8032 verification runs, and only after every cheap check passed.
 */

const MAGIC = new TextEncoder().encode('SSHSIG');
/** The only SSHSIG version there is. Version 0 or 2+ is refused. */
const SIG_VERSION = 1;
/** FIDO "user present" flag: the authenticator saw a touch for this signature. */
export const SK_FLAG_USER_PRESENT = 0x01;
/** Longest namespace accepted in a signature. */
const MAX_NAMESPACE_BYTES = 64;
/** Longest signature field: sk type name + 64-byte signature + flags + counter, with room. */
const MAX_SIGNATURE_FIELD_BYTES = 256;

/** The hash algorithms SSHSIG allows. */
export type SshsigHash = 'sha256' | 'sha512';

/** The fields of a parsed SSHSIG blob. */
export interface SshsigBlob {
  readonly key: SshEd25519Key;
  readonly namespace: string;
  readonly hashAlgorithm: SshsigHash;
  /** The 64-byte Ed25519 signature. */
  readonly signature: Uint8Array;
  /** sk keys only: FIDO flags byte and signature counter. */
  readonly sk?: { readonly flags: number; readonly counter: number };
}

/** Outcome of a verification: what was verified, or why it was refused. */
export type SshsigCheck =
  | {
      readonly ok: true;
      readonly key: SshEd25519Key;
      readonly hashAlgorithm: SshsigHash;
      readonly sk?: { readonly flags: number; readonly counter: number };
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses an SSHSIG blob strictly: magic, version 1, an Ed25519 (plain or sk) public key,
 * a printable namespace, an EMPTY reserved field (ssh-keygen never fills it), hash
 * `sha256` or `sha512`, and a signature of the key's own type; no trailing bytes anywhere.
 */
export function parseSshsigBlob(blob: Uint8Array): SshsigBlob | string {
  const r = new SshReader(blob);
  const magic = r.raw(MAGIC.length);
  if (magic === undefined || !magic.every((b, i) => b === MAGIC[i])) return 'bad magic';
  if (r.uint32() !== SIG_VERSION) return 'unsupported version';
  const keyBlob = r.string(MAX_SSH_KEY_BLOB_BYTES);
  if (keyBlob === undefined) return 'bad public key field';
  const parsedKey = parseSshKeyBlob(keyBlob);
  if (!parsedKey.ok) return parsedKey.problem;
  const namespace = r.text(MAX_NAMESPACE_BYTES);
  if (namespace === undefined || namespace.length === 0) return 'bad namespace';
  const reserved = r.string(0);
  if (reserved === undefined) return 'reserved field must be empty';
  const hashAlgorithm = r.text(16);
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') return 'unsupported hash';
  const sigField = r.string(MAX_SIGNATURE_FIELD_BYTES);
  if (sigField === undefined || r.remaining !== 0) return 'bad signature field';

  const s = new SshReader(sigField);
  const key = parsedKey.key;
  if (s.text(64) !== key.type) return 'signature type differs from key type';
  const signature = s.string(ED25519_SIGNATURE_BYTES);
  if (signature === undefined || signature.length !== ED25519_SIGNATURE_BYTES)
    return 'bad Ed25519 signature length';
  let sk: { flags: number; counter: number } | undefined;
  if (key.type === SK_SSH_ED25519) {
    const flags = s.byte();
    const counter = s.uint32();
    if (flags === undefined || counter === undefined) return 'bad security key signature';
    sk = { flags, counter };
  }
  if (s.remaining !== 0) return 'trailing bytes in signature';
  return {
    key,
    namespace,
    hashAlgorithm,
    signature: new Uint8Array(signature),
    ...(sk === undefined ? {} : { sk }),
  };
}

/**
 * The bytes an SSHSIG signer signs (PROTOCOL.sshsig §3), rebuilt from the verifier's own
 * message: `"SSHSIG" ‖ string(namespace) ‖ string("") ‖ string(hash) ‖ string(H(message))`.
 */
export function sshsigSignedData(
  namespace: string,
  hashAlgorithm: SshsigHash,
  message: Uint8Array,
): Uint8Array {
  return concatBytes(
    MAGIC,
    sshString(namespace),
    sshString(new Uint8Array(0)),
    sshString(hashAlgorithm),
    sshString(hash(hashAlgorithm, message, 'buffer')),
  );
}

/**
 * What a FIDO authenticator signs for an sk-ssh-ed25519 key (PROTOCOL.u2f, as OpenSSH's
 * ssh-ed25519-sk.c verifies it): `SHA256(application) ‖ flags ‖ uint32 counter ‖ SHA256(data)`.
 */
export function skSignedData(
  application: string,
  flags: number,
  counter: number,
  data: Uint8Array,
): Uint8Array {
  return concatBytes(sha256(application), Uint8Array.of(flags), sshUint32(counter), sha256(data));
}

/**
 * Verifies an armored SSH signature over `message`, made in `namespace` by exactly
 * `expectedKey` (same type, same 32 key bytes, same application for sk keys). For sk keys
 * the user-presence flag must be set. Never throws: anything malformed is `ok: false`.
 */
export function verifySshSignature(
  armor: string,
  message: Uint8Array,
  namespace: string,
  expectedKey: SshEd25519Key,
): SshsigCheck {
  const blob = dearmorSshSignature(armor);
  if (blob === undefined) return { ok: false, reason: 'not an armored SSH signature' };
  const sig = parseSshsigBlob(blob);
  if (typeof sig === 'string') return { ok: false, reason: sig };
  if (sig.namespace !== namespace) return { ok: false, reason: 'wrong namespace' };
  if (!constantTimeEqual(sshKeyBlob(sig.key), sshKeyBlob(expectedKey)))
    return { ok: false, reason: 'signed by another key' };
  const data = sshsigSignedData(namespace, sig.hashAlgorithm, message);
  let signed: Uint8Array;
  if (sig.key.type === SSH_ED25519) {
    signed = data;
  } else {
    if (sig.sk === undefined || (sig.sk.flags & SK_FLAG_USER_PRESENT) === 0)
      return { ok: false, reason: 'security key signature without user presence' };
    signed = skSignedData(sig.key.application, sig.sk.flags, sig.sk.counter, data);
  }
  if (!verifyEd25519(sig.signature, signed, sig.key.publicKey))
    return { ok: false, reason: 'signature does not verify' };
  return {
    ok: true,
    key: sig.key,
    hashAlgorithm: sig.hashAlgorithm,
    ...(sig.sk === undefined ? {} : { sk: sig.sk }),
  };
}
