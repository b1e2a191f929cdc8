/**
 * `codex-gateway/verify`: offline verification of a release attestation (docs/protocol.md §10) for
 * deploy targets written for Node. No network and no gateway state: only the envelope, the
 * artifact digest, the audit log's vkey and the verifier's own trusted policy file.
 *
 * ```js
 * import { verifyReleaseAttestation, describeReleaseFailure } from 'codex-gateway/verify';
 * const result = verifyReleaseAttestation({ attestation, artifact, vkey, policy });
 * if (!result.ok) throw new Error(describeReleaseFailure(result));
 * ```
 */
import { NoteError, parseVkey, type NoteVerifier } from '../audit/checkpoint.js';
import { compilePolicy } from '../policy/compile.js';
import { verifyRelease, type ReleaseVerification } from '../release/verify-release.js';
import type { TrustedPolicy } from '../release/vote-check.js';

export {
  describeReleaseFailure,
  MAX_ATTESTATION_BYTES,
  RELEASE_CHECKS,
  type FailedRelease,
  type ReleaseCheckName,
  type ReleaseVerification,
  type VerifiedRelease,
} from '../release/verify-release.js';
export type { TrustedPolicy } from '../release/vote-check.js';

export interface VerifyReleaseAttestationOptions {
  /** The attestation file (a DSSE envelope), as bytes or text. Untrusted. */
  readonly attestation: Uint8Array | string;
  /** `sha256:<64 hex>` of the artifact about to be deployed. */
  readonly artifact: string;
  /** The audit log's vkey (`<origin>+<key id>+<base64 key>`), obtained out of band. */
  readonly vkey: string | NoteVerifier;
  /** The verifier's trusted policy: the policy file's bytes or text, or a loaded policy. */
  readonly policy: Uint8Array | string | TrustedPolicy;
  /** When given, the deploy's environment must be exactly this. */
  readonly environment?: string | undefined;
  /** When given, the deploy's target must be exactly this. */
  readonly target?: string | undefined;
}

/**
 * Parses a policy file (docs/protocol.md §4) with the same validation the gateway applies.
 * @throws TypeError listing the first problems when the file is not a valid policy.
 */
export function loadTrustedPolicy(file: Uint8Array | string): TrustedPolicy {
  const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : file;
  const result = compilePolicy(bytes, { devMode: false, activatedAt: new Date(0).toISOString() });
  if (!result.ok) throw new TypeError(`policy: ${result.errors.slice(0, 3).join('; ')}`);
  return result.policy;
}

/**
 * Parses a vkey string.
 * @throws TypeError when it is not an Ed25519 note verifier key.
 */
export function loadVkey(vkey: string): NoteVerifier {
  try {
    return parseVkey(vkey.trim());
  } catch (err) {
    throw new TypeError(`vkey: ${err instanceof NoteError ? err.message : 'malformed'}`);
  }
}

/**
 * Runs the five checks of docs/protocol.md §10 in order. Returns `{ ok: true, … }` or the first
 * failed check (`check`, `name`, `reason`); never throws for anything inside the
 * attestation. Throws TypeError when the caller's own inputs are unusable: an artifact
 * that is not a digest label, a malformed vkey, an invalid policy file.
 */
export function verifyReleaseAttestation(
  options: VerifyReleaseAttestationOptions,
): ReleaseVerification {
  const vkey = typeof options.vkey === 'string' ? loadVkey(options.vkey) : options.vkey;
  const policy =
    typeof options.policy === 'string' || options.policy instanceof Uint8Array
      ? loadTrustedPolicy(options.policy)
      : options.policy;
  return verifyRelease({
    attestation: options.attestation,
    artifact: options.artifact,
    vkey,
    policy,
    environment: options.environment,
    target: options.target,
  });
}
