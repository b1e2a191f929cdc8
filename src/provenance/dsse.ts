import { ed25519PublicKey, sha256Hex, signEd25519, verifyEd25519 } from '../crypto/index.js';
import { fromBase64Strict, toBase64 } from './base64.js';

/** DSSE payload type of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). */
export interface DsseEnvelope {
  readonly payloadType: string;
  /** Standard base64 of the payload bytes. */
  readonly payload: string;
  readonly signatures: readonly { readonly keyid: string; readonly sig: string }[];
}

/** Upper bound on signatures examined, so a crafted envelope cannot make us loop for long. */
const MAX_SIGNATURES = 8;

/**
 * DSSE v1 Pre-Authentication Encoding:
 * `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal byte
 * counts. Signing the PAE instead of the raw payload binds the payload type, so a
 * signature over one kind of document cannot be replayed as another.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = new TextEncoder().encode(payloadType);
  const head = new TextEncoder().encode(`DSSEv1 ${type.length} `);
  const mid = new TextEncoder().encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + mid.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(mid, head.length + type.length);
  out.set(payload, head.length + type.length + mid.length);
  return out;
}

/** Key id used in envelopes: lowercase hex SHA-256 of the 32-byte Ed25519 public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return sha256Hex(publicKey);
}

/**
 * Signs `payload` as a DSSE envelope with one Ed25519 signature over its PAE. `keyid`
 * labels the signature (default: {@link keyIdOf} the public key); the release attestation
 * uses the audit log's note key id instead (docs/protocol.md §10).
 */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  secretKey: Uint8Array,
  keyid: string = keyIdOf(ed25519PublicKey(secretKey)),
): DsseEnvelope {
  const sig = signEd25519(preAuthEncoding(payloadType, payload), secretKey);
  return {
    payloadType,
    payload: toBase64(payload),
    signatures: [{ keyid, sig: toBase64(sig) }],
  };
}

/** Result of checking an envelope: the verified payload bytes, or why it was refused. */
export type EnvelopeCheck =
  | { readonly ok: true; readonly payload: Uint8Array; readonly keyid: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Verifies a parsed envelope (attacker-controlled: it arrives as a release asset) against
 * one trusted public key. Succeeds only when the payload type is the expected one and at
 * least one signature verifies (strict RFC 8032) over the PAE; the `keyid` field is only
 * a hint and is never trusted on its own.
 */
export function verifyEnvelope(
  envelope: unknown,
  expectedPayloadType: string,
  publicKey: Uint8Array,
): EnvelopeCheck {
  if (typeof envelope !== 'object' || envelope === null) return fail('envelope is not an object');
  const { payloadType, payload, signatures } = envelope as Record<string, unknown>;
  if (payloadType !== expectedPayloadType)
    return fail(`payloadType must be ${expectedPayloadType}`);
  if (typeof payload !== 'string') return fail('payload must be a base64 string');
  const body = fromBase64Strict(payload);
  if (body === undefined) return fail('payload is not canonical base64');
  if (!Array.isArray(signatures) || signatures.length === 0)
    return fail('envelope has no signatures');
  if (signatures.length > MAX_SIGNATURES) return fail('envelope has too many signatures');
  const pae = preAuthEncoding(payloadType, body);
  for (const entry of signatures as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const sig = (entry as Record<string, unknown>).sig;
    if (typeof sig !== 'string') continue;
    const sigBytes = fromBase64Strict(sig);
    if (sigBytes !== undefined && verifyEd25519(sigBytes, pae, publicKey))
      return { ok: true, payload: body, keyid: keyIdOf(publicKey) };
  }
  return fail('no signature verifies with the given public key');
}

function fail(problem: string): EnvelopeCheck {
  return { ok: false, problem };
}
