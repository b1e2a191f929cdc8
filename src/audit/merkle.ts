/**
 * RFC 6962 / RFC 9162 Merkle tree math (SHA-256), pure: no I/O. One import point for the
 * hashing primitives, proof generation (from a `hashAt(level, index)` accessor) and
 * verification (inputs from the wire: range-checked, returns false on anything malformed).
 */
export {
  HASH_BYTES,
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  nodeHashHex,
  hashFromHex,
  isTreeSize,
} from './merkle-hash.js';
export {
  type HashAt,
  type NodeCoord,
  rangeNodes,
  rangeHash,
  inclusionProofNodes,
  inclusionRanges,
  type Range,
  consistencyProofNodes,
  rootNodes,
  inclusionProof,
  consistencyProof,
  rootOf,
  rootFromLeafHashes,
} from './merkle-proof.js';
export { verifyInclusion, verifyConsistency } from './merkle-verify.js';
