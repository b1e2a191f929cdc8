/** codex-sig/v1: header grammar, canonical string and verification (pure). */
export {
  parseSignatureHeaders,
  signatureHeaderProblem,
  MAX_SIGNATURES,
  type SignatureHeaders,
} from './headers.js';
export { canonicalString, SIGNATURE_SCHEME, type SignedParts } from './canonical.js';
export { verifySignature, timestampInWindow, signatureHeader } from './verify.js';
export { signRequest, type SignRequestInput } from './sign-request.js';
