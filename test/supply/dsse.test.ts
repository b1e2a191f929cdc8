import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, sha256Hex, signEd25519, toHex } from '../../src/crypto/index.js';
import { fromBase64Strict, toBase64 } from '../../src/provenance/base64.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  keyIdOf,
  preAuthEncoding,
  signEnvelope,
  verifyEnvelope,
} from '../../src/provenance/dsse.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('preAuthEncoding', () => {
  it('matches the DSSE v1 specification example', () => {
    // protocol.md of secure-systems-lab/dsse: PAE("http://example.com/HelloWorld", "hello world")
    expect(text(preAuthEncoding('http://example.com/HelloWorld', bytes('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not UTF-16 code units', () => {
    expect(text(preAuthEncoding('t', bytes('é')))).toBe('DSSEv1 1 t 2 é');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  const { secretKey, publicKey } = generateEd25519KeyPair();
  const payload = bytes('{"_type":"https://in-toto.io/Statement/v1"}');
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, secretKey);

  it('verifies its own envelope and returns the payload', () => {
    const check = verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, publicKey);
    expect(check.ok && text(check.payload)).toBe(text(payload));
  });

  it('labels the signature with the hex SHA-256 of the public key', () => {
    expect(envelope.signatures[0]?.keyid).toBe(sha256Hex(publicKey));
    expect(keyIdOf(publicKey)).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('when something was changed', () => {
    it('refuses another public key', () => {
      const other = generateEd25519KeyPair().publicKey;
      expect(verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, other).ok).toBe(false);
    });

    it('refuses a different payload type (the type is bound by the PAE)', () => {
      const relabelled = { ...envelope, payloadType: 'application/json' };
      expect(verifyEnvelope(relabelled, 'application/json', publicKey).ok).toBe(false);
      expect(verifyEnvelope(envelope, 'application/json', publicKey).ok).toBe(false);
    });

    it('refuses a signature over the raw payload instead of the PAE', () => {
      const raw = {
        ...envelope,
        signatures: [{ keyid: '', sig: toBase64(signEd25519(payload, secretKey)) }],
      };
      expect(verifyEnvelope(raw, IN_TOTO_PAYLOAD_TYPE, publicKey).ok).toBe(false);
    });

    it('refuses non-canonical base64 and malformed envelopes', () => {
      const padded = { ...envelope, payload: `${envelope.payload}\n` };
      expect(verifyEnvelope(padded, IN_TOTO_PAYLOAD_TYPE, publicKey).ok).toBe(false);
      for (const bad of [
        null,
        'x',
        {},
        { ...envelope, signatures: [] },
        { ...envelope, signatures: 'x' },
      ])
        expect(verifyEnvelope(bad, IN_TOTO_PAYLOAD_TYPE, publicKey).ok).toBe(false);
    });

    it('rejects any single flipped bit of the payload (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (body, at) => {
          const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, secretKey);
          expect(verifyEnvelope(env, IN_TOTO_PAYLOAD_TYPE, publicKey).ok).toBe(true);
          const flipped = body.slice();
          const i = at % flipped.length;
          flipped[i] = (flipped[i] ?? 0) ^ (1 << (at % 8));
          const tampered = { ...env, payload: toBase64(flipped) };
          return !verifyEnvelope(tampered, IN_TOTO_PAYLOAD_TYPE, publicKey).ok;
        }),
        { numRuns: 50 },
      );
    });
  });
});

describe('fromBase64Strict', () => {
  it('round-trips any bytes and refuses non-canonical text (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        (b) => toHex(fromBase64Strict(toBase64(b)) ?? new Uint8Array([1, 2])) === toHex(b),
      ),
    );
    for (const bad of ['QQ', 'QR==', 'Q Q==', 'QQ==\n', '-_8=', 'QQ=='.repeat(0) + '='])
      expect(fromBase64Strict(bad)).toBeUndefined();
  });
});
