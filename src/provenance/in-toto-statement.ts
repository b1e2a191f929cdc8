import { isHex } from '../crypto/index.js';
import { artifactPathProblem } from './artifact-path.js';
import type { ArtifactDigest } from './artifact-files.js';

/**
 * The in-toto Statement v1 with a SLSA Provenance v1 predicate, as `codex-gateway
 * provenance verify` reads it: its type URIs and its subjects. The statement is built by
 * the release tooling (tools/supply/provenance-statement.ts), which imports these names.
 */

/** in-toto Statement v1 and SLSA Provenance v1 type URIs. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

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
    statement = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new TypeError('statement is not UTF-8 JSON');
  }
  if (typeof statement !== 'object' || statement === null)
    throw new TypeError('statement is not an object');
  const { _type, predicateType, subject } = statement as Record<string, unknown>;
  if (_type !== STATEMENT_TYPE) throw new TypeError(`_type must be ${STATEMENT_TYPE}`);
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
