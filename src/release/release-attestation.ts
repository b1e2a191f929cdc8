import { toHex } from '../crypto/index.js';
import type { NoteVerifier } from '../audit/checkpoint.js';
import { canonicalBytes } from '../audit/jcs.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, type DsseEnvelope } from '../provenance/dsse.js';
import type { ReleaseStatement } from './release-statement.js';

/** Signs release statements with the audit log's key (docs/protocol.md §10). */
export interface ReleaseSigner {
  /** 8 hex: the key id of the log's vkey, used as the DSSE `keyid`. */
  readonly keyid: string;
  /** The DSSE envelope of `statement` (payload: its RFC 8785 canonical JSON). */
  sign(statement: ReleaseStatement): DsseEnvelope;
}

/**
 * A signer over the log's Ed25519 key. The payload is the statement's canonical JSON, so
 * the same statement always yields the same bytes; the envelope is still built once per
 * deploy and stored, because the checkpoint inside a statement depends on when it is made.
 */
export function createReleaseSigner(verifier: NoteVerifier, secretKey: Uint8Array): ReleaseSigner {
  const keyid = toHex(verifier.keyId);
  return {
    keyid,
    sign: (statement) =>
      signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), secretKey, keyid),
  };
}

/** The exact JSON text served for an envelope (stored once, then served byte for byte). */
export function envelopeText(envelope: DsseEnvelope): string {
  return JSON.stringify({
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
  });
}
