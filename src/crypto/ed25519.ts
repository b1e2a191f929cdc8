import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from './compare.js';

// noble's synchronous API needs a SHA-512; wire it once, here, where crypto is imported.
ed.hashes.sha512 = sha512;

/** Length in bytes of an Ed25519 public key and of a secret seed. */
export const ED25519_KEY_BYTES = 32;
/** Length in bytes of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;

/**
 * Strict RFC 8032 Ed25519 verification (`zip215: false`): rejects `s ≥ L`, non-canonical
 * point encodings and small-order public keys. Never throws: a signature, key or message
 * of the wrong shape is simply invalid, because all three come from the wire.
 */
export function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_KEY_BYTES)
    return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410), before the 32-byte seed. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** OpenSSL key objects by seed array: built once per key (the log key signs every batch). */
const keyObjects = new WeakMap<Uint8Array, { seed: string; key: KeyObject }>();

/**
 * Signs `message` with a 32-byte secret seed; returns the 64-byte signature. Ed25519
 * signing is deterministic (RFC 8032), so OpenSSL (node:crypto) gives the very bytes the
 * pure-JS implementation would, about ten times faster: it sits on the audit log's
 * per-batch path (one checkpoint per group commit).
 */
export function signEd25519(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== ED25519_KEY_BYTES)
    throw new RangeError('signEd25519: secretKey must be 32 bytes');
  const seed = Buffer.from(secretKey).toString('hex');
  let cached = keyObjects.get(secretKey);
  // The array may have been modified since: the cache is only used for the same bytes.
  if (cached === undefined || cached.seed !== seed) {
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, secretKey]);
    cached = { seed, key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
    der.fill(0);
    keyObjects.set(secretKey, cached);
  }
  return new Uint8Array(nodeSign(null, message, cached.key));
}

/** The 32-byte public key of a 32-byte secret seed. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== ED25519_KEY_BYTES)
    throw new RangeError('ed25519PublicKey: secretKey must be 32 bytes');
  return ed.getPublicKey(secretKey);
}

/** A fresh key pair from the OS CSPRNG. */
export function generateEd25519KeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const { secretKey, publicKey } = ed.keygen();
  return { secretKey, publicKey };
}

/**
 * Why a public key is unacceptable, or undefined when it is fine: the encoding must be
 * canonical (y < p, and re-encoding the point gives the same bytes) and the point must
 * not have small order (such keys let one signature verify for many messages).
 */
export function ed25519PublicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== ED25519_KEY_BYTES) return 'must be 32 bytes';
  let point: ed.Point;
  try {
    point = ed.Point.fromBytes(publicKey, false);
  } catch {
    return 'not a valid curve point';
  }
  if (!constantTimeEqual(point.toBytes(), publicKey)) return 'non-canonical encoding';
  if (point.isSmallOrder()) return 'small-order point';
  return undefined;
}
