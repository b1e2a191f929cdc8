/** The only module that imports cryptographic libraries; everything else imports from here. */
export { sha256, sha256Hex, hmacSha256, reference } from './hash.js';
export { constantTimeEqual } from './compare.js';
export { randomBytes, randomId } from './random.js';
export { toHex, fromHex, isHex } from './hex.js';
export {
  verifyEd25519,
  signEd25519,
  ed25519PublicKey,
  generateEd25519KeyPair,
  ed25519PublicKeyProblem,
  ED25519_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
} from './ed25519.js';
