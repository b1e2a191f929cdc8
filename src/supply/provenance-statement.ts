import { isHex } from '../crypto/index.js';
import { artifactPathProblem } from './artifact-path.js';
import type { ManifestEntry } from './manifest.js';

/** in-toto Statement v1 and SLSA Provenance v1 type URIs. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** Identifies this project's build recipe (npm ci --ignore-scripts, then tsc). */
export const BUILD_TYPE = 'urn:codex-gateway:buildtype:npm-ci-tsc:v1';

/** Everything the provenance records about one build. */
export interface BuildFacts {
  readonly subjects: readonly ManifestEntry[];
  /** Who ran the build, e.g. the release workflow's URI, or `urn:codex-gateway:builder:local`. */
  readonly builderId: string;
  /** The exact commands that produced the artifact. */
  readonly buildCommand: string;
  /** Where the source came from, e.g. `git+https://github.com/org/repo@refs/tags/v1.0.0`. */
  readonly sourceUri: string;
  /** The 40-hex git commit the artifact was built from. */
  readonly sourceCommit: string;
  /** True when the working tree had uncommitted changes (then the commit is not the whole truth). */
  readonly sourceTreeDirty: boolean;
  readonly lockFileSha256: string;
  readonly nodeVersion: string;
  readonly invocationId: string;
  readonly startedOn: string;
  readonly finishedOn: string;
}

/** Builds the in-toto Statement v1 with a SLSA Provenance v1 predicate. Throws on bad facts. */
export function buildProvenanceStatement(facts: BuildFacts): Record<string, unknown> {
  if (!isHex(facts.sourceCommit, 20)) throw new TypeError('sourceCommit must be 40 lowercase hex');
  if (facts.subjects.length === 0) throw new TypeError('subjects must not be empty');
  return {
    _type: STATEMENT_TYPE,
    subject: facts.subjects.map((s) => ({ name: s.path, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          buildCommand: facts.buildCommand,
          source: { uri: facts.sourceUri, digest: { gitCommit: facts.sourceCommit } },
        },
        internalParameters: {
          nodeVersion: facts.nodeVersion,
          sourceTreeDirty: facts.sourceTreeDirty,
        },
        resolvedDependencies: [
          { uri: facts.sourceUri, digest: { gitCommit: facts.sourceCommit } },
          { name: 'package-lock.json', digest: { sha256: facts.lockFileSha256 } },
        ],
      },
      runDetails: {
        builder: { id: facts.builderId },
        metadata: {
          invocationId: facts.invocationId,
          startedOn: facts.startedOn,
          finishedOn: facts.finishedOn,
        },
      },
    },
  };
}

/** Upper bound on subjects accepted from a statement. */
export const MAX_SUBJECTS = 20_000;

/**
 * Reads the subjects of a statement payload, refusing anything that is not an in-toto v1
 * statement with SLSA v1 provenance, or whose subjects are not `{name, digest.sha256}` with
 * safe relative names. Runs only after the signature verified, but still validates: a
 * signed statement naming `../../etc/passwd` must not make the verifier read outside root.
 */
export function statementSubjects(payload: Uint8Array): ManifestEntry[] {
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
