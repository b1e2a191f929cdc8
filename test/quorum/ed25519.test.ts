import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ed25519PublicKey,
  fromHex,
  signEd25519,
  toHex,
  verifyEd25519,
} from '../../src/crypto/index.js';
import { vectorPath } from '../helpers/paths.js';

interface Vector {
  id: string;
  secretKey: string;
  publicKey: string;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid';
}

const vectorsFile = vectorPath('rfc8032.json');
const vectors = (JSON.parse(readFileSync(vectorsFile, 'utf8')) as { vectors: Vector[] }).vectors;

/** The group order L of edwards25519. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function nodeAgrees(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return nodeVerify(null, msg, key, sig);
}

/** `s + L` written back little-endian into the signature's second half (still < 2^256). */
function withNonCanonicalS(sig: Uint8Array): Uint8Array {
  const s = BigInt(`0x${toHex(sig.slice(32).reverse())}`);
  const bumped = fromHex((s + L).toString(16).padStart(64, '0')).reverse();
  const out = new Uint8Array(64);
  out.set(sig.slice(0, 32));
  out.set(bumped, 32);
  return out;
}

describe('Ed25519 wrapper against RFC 8032 §7.1', () => {
  it('loads the RFC 8032 vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const secretKey = fromHex(v.secretKey);
    const publicKey = fromHex(v.publicKey);
    const msg = fromHex(v.msg);
    const sig = fromHex(v.sig);

    it('derives the public key and the exact signature', () => {
      expect(toHex(ed25519PublicKey(secretKey))).toBe(v.publicKey);
      expect(toHex(signEd25519(msg, secretKey))).toBe(v.sig);
    });

    it('verifies as the vector says, and node:crypto agrees', () => {
      expect(verifyEd25519(sig, msg, publicKey)).toBe(v.result === 'valid');
      expect(nodeAgrees(sig, msg, publicKey)).toBe(v.result === 'valid');
    });

    it('rejects a flipped message bit, and node:crypto agrees', () => {
      const other = new Uint8Array([...msg, 0]);
      other[0] = (other[0] ?? 0) ^ 1;
      expect(verifyEd25519(sig, other, publicKey)).toBe(false);
      expect(nodeAgrees(sig, other, publicKey)).toBe(false);
    });

    it('rejects s + L (non-canonical scalar, RFC 8032 strict), and node:crypto agrees', () => {
      const malleated = withNonCanonicalS(sig);
      expect(verifyEd25519(malleated, msg, publicKey)).toBe(false);
      expect(nodeAgrees(malleated, msg, publicKey)).toBe(false);
    });
  });

  it('treats malformed input as invalid, never as a crash', () => {
    const v = vectors[0]!;
    const pk = fromHex(v.publicKey);
    expect(verifyEd25519(new Uint8Array(63), new Uint8Array(), pk)).toBe(false);
    expect(verifyEd25519(new Uint8Array(64), new Uint8Array(), pk)).toBe(false);
    expect(verifyEd25519(new Uint8Array(64).fill(0xff), new Uint8Array(), pk)).toBe(false);
    expect(verifyEd25519(fromHex(v.sig), new Uint8Array(), new Uint8Array(31))).toBe(false);
    expect(verifyEd25519(fromHex(v.sig), new Uint8Array(), new Uint8Array(32).fill(0xff))).toBe(
      false,
    );
  });
});
