import {
  constantTimeEqual,
  sha256,
  signEd25519,
  verifyEd25519,
  ED25519_KEY_BYTES,
} from '../crypto/index.js';

/**
 * C2SP signed notes and tlog-checkpoints (docs/protocol.md §6), Ed25519 only:
 * - checkpoint text: `<origin>\n<size>\n<base64 root>\n` (+ optional extension lines);
 * - note: `<text>\n— <name> <base64(4-byte key id ‖ 64-byte signature)>\n`, the signature
 *   taken over the text bytes (which end with `\n`);
 * - key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key);
 * - vkey: `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>`.
 * Everything parsed here may come from the network (the auditor CLI reads a gateway it
 * does not trust), so parsing is strict, bounded and never partially accepts.
 */

/** Ed25519 signature type byte of the signed-note spec. */
const ALG_ED25519 = 0x01;
/** The em dash and space that start every signature line. */
const SIG_PREFIX = '\u2014 ';
/** Bounds for hostile input: a checkpoint is well under 1 KiB. */
export const MAX_NOTE_CHARS = 16 * 1024;
const MAX_SIGNATURES = 100;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;

/** A tree head: size and 32-byte RFC 6962 root. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/** A verifier key: the signer's name, key id and Ed25519 public key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Thrown when a note, checkpoint or vkey is malformed or does not verify. */
export class NoteError extends Error {
  override readonly name = 'NoteError';
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict standard base64: exact alphabet, padding and canonical trailing bits, else NoteError. */
export function fromBase64(s: string): Uint8Array {
  const bytes = STRICT_BASE64.test(s) ? new Uint8Array(Buffer.from(s, 'base64')) : undefined;
  // Re-encoding catches non-zero padding bits, which Buffer would silently drop.
  if (bytes === undefined || toBase64(bytes) !== s) throw new NoteError('invalid base64');
  return bytes;
}

/** True when `name` may be a key name / log origin: non-empty, no whitespace, no `+`. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && !/[\s+\p{Cc}]/u.test(name);
}

/** The 4-byte key id of an Ed25519 key under `name`. */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  return sha256(concat(nameBytes, Uint8Array.of(0x0a, ALG_ED25519), publicKey)).subarray(0, 4);
}

/** The verifier for `name` and a 32-byte Ed25519 public key. */
export function noteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (!isValidKeyName(name)) throw new NoteError('invalid key name');
  if (publicKey.length !== ED25519_KEY_BYTES) throw new NoteError('public key must be 32 bytes');
  return { name, keyId: noteKeyId(name, publicKey), publicKey };
}

/** The vkey string of a verifier. */
export function formatVkey(v: NoteVerifier): string {
  const keyIdHex = Buffer.from(v.keyId).toString('hex');
  return `${v.name}+${keyIdHex}+${toBase64(concat(Uint8Array.of(ALG_ED25519), v.publicKey))}`;
}

/** Parses a vkey; the embedded key id must match the one computed from name and key. */
export function parseVkey(vkey: string): NoteVerifier {
  const parts = vkey.length <= 512 ? vkey.split('+') : [];
  // A name cannot contain '+', but base64 can: rejoin everything after the key id.
  const [name, keyIdHex, ...rest] = parts;
  const key = rest.join('+');
  if (name === undefined || keyIdHex === undefined || !/^[0-9a-f]{8}$/.test(keyIdHex))
    throw new NoteError('malformed vkey');
  const raw = fromBase64(key);
  if (raw.length !== 1 + ED25519_KEY_BYTES || raw[0] !== ALG_ED25519)
    throw new NoteError('vkey is not an Ed25519 key');
  const v = noteVerifier(name, raw.subarray(1));
  if (Buffer.from(v.keyId).toString('hex') !== keyIdHex)
    throw new NoteError('vkey key id does not match its key');
  return v;
}

/** The checkpoint body text for a tree head. */
export function formatCheckpointText(cp: Checkpoint): string {
  if (!isValidKeyName(cp.origin)) throw new NoteError('invalid origin');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new NoteError('invalid size');
  if (cp.root.length !== 32) throw new NoteError('root must be 32 bytes');
  return `${cp.origin}\n${cp.size}\n${toBase64(cp.root)}\n`;
}

/** Parses checkpoint body text (extension lines are allowed and ignored). */
export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  // Text ends with '\n', so the last split element is empty.
  if (lines.length < 4 || lines.pop() !== '') throw new NoteError('malformed checkpoint');
  const [origin, sizeText, rootText, ...extensions] = lines as [
    string,
    string,
    string,
    ...string[],
  ];
  if (!isValidKeyName(origin)) throw new NoteError('checkpoint origin is invalid');
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw new NoteError('checkpoint size is invalid');
  const root = fromBase64(rootText);
  if (root.length !== 32) throw new NoteError('checkpoint root must be 32 bytes');
  if (extensions.some((l) => l.length === 0)) throw new NoteError('empty checkpoint extension');
  return { origin, size: Number(sizeText), root };
}

/** Signs note `text` (must end with `\n`) as `name` with a 32-byte Ed25519 seed. */
export function signNote(text: string, v: NoteVerifier, secretKey: Uint8Array): string {
  if (!text.endsWith('\n') || text.includes('\n\n')) throw new NoteError('invalid note text');
  const sig = signEd25519(new TextEncoder().encode(text), secretKey);
  return `${text}\n${SIG_PREFIX}${v.name} ${toBase64(concat(v.keyId, sig))}\n`;
}

/**
 * Verifies a signed note against one known key and returns its text. Signatures by other
 * keys are ignored (a note may be cosigned), but a signature that claims our key and does
 * not verify, or the absence of any signature by our key, is a NoteError.
 */
export function openNote(note: string, v: NoteVerifier): string {
  if (note.length > MAX_NOTE_CHARS) throw new NoteError('note too large');
  // Only newline is allowed among control characters; \r would let two parsers disagree.
  if (hasControlOtherThanNewline(note) || LONE_SURROGATE.test(note))
    throw new NoteError('note contains forbidden characters');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) throw new NoteError('too many signatures');
  const message = new TextEncoder().encode(text);
  let verified = false;
  for (const line of sigLines) {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed signature line');
    const [name, b64, extra] = line.slice(SIG_PREFIX.length).split(' ');
    if (name === undefined || b64 === undefined || extra !== undefined || !isValidKeyName(name))
      throw new NoteError('malformed signature line');
    const raw = fromBase64(b64);
    if (raw.length < 5) throw new NoteError('signature too short');
    if (name !== v.name || !constantTimeEqual(raw.subarray(0, 4), v.keyId)) continue;
    if (!verifyEd25519(raw.subarray(4), message, v.publicKey))
      throw new NoteError(`signature by ${v.name} does not verify`);
    verified = true;
  }
  if (!verified) throw new NoteError(`note has no signature by ${v.name}`);
  return text;
}

/** Formats and signs a checkpoint; the note is signed under the origin as key name. */
export function signCheckpoint(cp: Checkpoint, secretKey: Uint8Array, v: NoteVerifier): string {
  if (cp.origin !== v.name) throw new NoteError('origin must equal the key name');
  return signNote(formatCheckpointText(cp), v, secretKey);
}

/** Verifies a checkpoint note against `v` and parses it; its origin must be the key's name. */
export function verifyCheckpoint(note: string, v: NoteVerifier): Checkpoint {
  const cp = parseCheckpointText(openNote(note, v));
  if (cp.origin !== v.name) throw new NoteError('checkpoint origin does not match the key');
  return cp;
}

function hasControlOtherThanNewline(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The HeadSigner (log-store.ts) of a log: signs checkpoints under its origin and key. */
export function checkpointHeadSigner(
  v: NoteVerifier,
  secretKey: Uint8Array,
): {
  sign(size: number, root: Uint8Array): string;
  verify(note: string): Checkpoint;
} {
  return {
    sign: (size, root) => signCheckpoint({ origin: v.name, size, root }, secretKey, v),
    verify: (note) => verifyCheckpoint(note, v),
  };
}
