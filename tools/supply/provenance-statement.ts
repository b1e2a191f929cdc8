import { isHex } from '../../src/crypto/index.js';
import {
  SLSA_PROVENANCE_V1,
  inTotoStatement,
  sha256Subject,
} from '../../src/provenance/in-toto-statement.js';
import type { ManifestEntry } from './manifest.js';

/**
 * Builds the release's provenance statement (release tooling, not shipped). Its reader,
 * `statementSubjects`, ships in src/provenance/in-toto-statement.ts for `codex-gateway
 * provenance verify`.
 */
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
export function buildProvenanceStatement(facts: BuildFacts): object {
  if (!isHex(facts.sourceCommit, 20)) throw new TypeError('sourceCommit must be 40 lowercase hex');
  if (facts.subjects.length === 0) throw new TypeError('subjects must not be empty');
  return inTotoStatement(
    facts.subjects.map((s) => sha256Subject(s.path, s.sha256)),
    SLSA_PROVENANCE_V1,
    {
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
  );
}
