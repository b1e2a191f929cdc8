import { constantTimeEqual, hmacSha256 } from '../crypto/index.js';
import { canonicalString, type SignedParts } from './canonical.js';

/** True when |now − timestamp| ≤ tolerance (both in seconds). Future timestamps are bounded too. */
export function timestampInWindow(
  timestampSeconds: number,
  nowMs: number,
  toleranceSeconds: number,
): boolean {
  return Math.abs(nowMs / 1000 - timestampSeconds) <= toleranceSeconds;
}

/**
 * True when at least one presented signature equals the HMAC of the canonical string
 * under at least one of the client's secrets (rotation in both directions). Every pair is
 * compared in constant time and the loop never exits early on a mismatch position.
 */
export function verifySignature(
  parts: SignedParts,
  secrets: readonly Uint8Array[],
  presented: readonly Uint8Array[],
): boolean {
  const message = canonicalString(parts);
  let ok = false;
  for (const secret of secrets) {
    const expected = hmacSha256(secret, message);
    for (const sig of presented) {
      // Non-short-circuit OR: the work does not depend on which pair matched.
      ok = constantTimeEqual(expected, sig) || ok;
    }
  }
  return ok;
}

/** Computes the `X-Codex-Sig` value for a request (used by the CLI and tests). */
export function signatureHeader(parts: SignedParts, secret: string | Uint8Array): string {
  return `v1=${Buffer.from(hmacSha256(secret, canonicalString(parts))).toString('hex')}`;
}
