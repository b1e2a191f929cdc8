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
export {
  SSH_ED25519,
  SK_SSH_ED25519,
  type SshEd25519Key,
  type SshKeyParse,
  parseSshPublicKeyLine,
  parseSshKeyBlob,
  sshKeyBlob,
  sshFingerprint,
  sshKeyLabel,
  MAX_SSH_KEY_LINE_LENGTH,
} from './ssh-key.js';
export {
  type SshsigHash,
  type SshsigCheck,
  SK_FLAG_USER_PRESENT,
  verifySshSignature,
  parseSshsigBlob,
  sshsigSignedData,
  skSignedData,
} from './sshsig.js';
export { dearmorSshSignature, armorSshSignature, MAX_SSHSIG_ARMOR_LENGTH } from './sshsig-armor.js';
export { sshString, sshUint32, concatBytes } from './ssh-wire.js';
