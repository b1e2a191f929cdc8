import { isHex } from '../crypto/index.js';
import { artifactPathProblem } from './artifact-path.js';
import type { ArtifactDigest } from './artifact-files.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/**
 * in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md),
 * built in one place for both statements this project signs: the release statement of a
 * deploy (src/release/release-statement.ts, docs/protocol.md §10) and the build provenance
 * (tools/supply/provenance-statement.ts). The provenance subjects are read back here for
 * `codex-gateway provenance verify`.
 */

/** `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** `predicateType` of SLSA Provenance v1. */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** One subject: a name and its digests by algorithm. */
export interface InTotoSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** A statement: the subjects, what kind of predicate, and the predicate. */
export interface InTotoStatement<S extends readonly InTotoSubject[], T extends string, P> {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: S;
  readonly predicateType: T;
  readonly predicate: P;
}

/** The statement of `predicate` about `subject`, members in the order the spec lists them. */
export function inTotoStatement<S extends readonly InTotoSubject[], T extends string, P>(
  subject: S,
  predicateType: T,
  predicate: P,
): InTotoStatement<S, T, P> {
  return { _type: IN_TOTO_STATEMENT_V1, subject, predicateType, predicate };
}

/** A subject named by its SHA-256 (lowercase hex); with no digest at all when undefined. */
export function sha256Subject(name: string, sha256Hex: string | undefined): InTotoSubject {
  return { name, digest: sha256Hex === undefined ? {} : { sha256: sha256Hex } };
}

/** Upper bound on subjects accepted from a statement. */
export const MAX_SUBJECTS = 20_000;

/**
 * Reads the subjects of a statement payload, refusing anything that is not an in-toto v1
 * statement with SLSA v1 provenance, or whose subjects are not `{name, digest.sha256}` with
 * safe relative names. Runs only after the signature verified, but still validates: a
 * signed statement naming `../../etc/passwd` must not make the verifier read outside root.
 */
export function statementSubjects(payload: Uint8Array): ArtifactDigest[] {
  let statement: unknown;
  try {
    statement = JSON.parse(decodeStrictUtf8(payload));
  } catch {
    throw new TypeError('statement is not UTF-8 JSON');
  }
  if (typeof statement !== 'object' || statement === null)
    throw new TypeError('statement is not an object');
  const { _type, predicateType, subject } = statement as Record<string, unknown>;
  if (_type !== IN_TOTO_STATEMENT_V1) throw new TypeError(`_type must be ${IN_TOTO_STATEMENT_V1}`);
  if (predicateType !== SLSA_PROVENANCE_V1)
    throw new TypeError(`predicateType must be ${SLSA_PROVENANCE_V1}`);
  if (!Array.isArray(subject) || subject.length === 0 || subject.length > MAX_SUBJECTS)
    throw new TypeError('subject must be a non-empty array of bounded length');
  const seen = new Set<string>();
  return subject.map((s: unknown, i) => {
    const { name, digest } = (typeof s === 'object' && s !== null ? s : {}) as Record<
      string,
      unknown
    >;
    const sha256 =
      typeof digest === 'object' && digest !== null
        ? (digest as Record<string, unknown>).sha256
        : undefined;
    if (typeof name !== 'string' || artifactPathProblem(name) !== undefined)
      throw new TypeError(`subject ${i}: name must be a safe relative path`);
    if (typeof sha256 !== 'string' || !isHex(sha256, 32))
      throw new TypeError(`subject ${i}: digest.sha256 must be 64 lowercase hex`);
    if (seen.has(name)) throw new TypeError(`subject ${i}: duplicate name`);
    seen.add(name);
    return { path: name, sha256 };
  });
}
