/**
 * The release statement of docs/protocol.md §10: an in-toto Statement v1 whose subject is the
 * artifact and whose predicate carries everything an offline verifier needs — the deploy
 * record, the quorum, the counted votes and the audit log's proof of the `allow` decision.
 */
import { digestLabelHex } from '../protocol/grammar.js';
import {
  inTotoStatement,
  sha256Subject,
  type InTotoStatement,
  type InTotoSubject,
} from '../provenance/in-toto-statement.js';

export { IN_TOTO_STATEMENT_V1 } from '../provenance/in-toto-statement.js';
/** `predicateType` of a codex-gateway release. */
export const RELEASE_PREDICATE_TYPE = 'urn:codex-gateway:release:v1';

/** The deploy record as signed into the statement; `message` is the §5 approval text. */
export interface ReleaseDeploy {
  readonly id: string;
  readonly action: string;
  readonly target: string;
  /** `-` for a quorum action without a `deploy` block. */
  readonly environment: string;
  /** `sha256:<hex>`, or `-` for a quorum action without a `deploy` block. */
  readonly artifact: string;
  readonly request: string;
  readonly policy: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly expiresAt: string;
  readonly message: string;
}

/**
 * One counted vote. `publicKey` is the key the gateway checked it under (informational:
 * a verifier uses its own policy's key). Exactly one of `signature` (128 hex Ed25519) and
 * `sshSignature` (an armored SSHSIG, docs/protocol.md §12) is present.
 */
export interface ReleaseVote {
  readonly approver: string;
  readonly publicKey: string;
  readonly signature?: string;
  readonly sshSignature?: string;
}

/** The audit log's proof that the `allow` decision of the deploy is in the log. */
export interface ReleaseLogProof {
  readonly origin: string;
  readonly index: number;
  readonly leafHash: string;
  /** The exact leaf string (RFC 8785 JSON of the `allow` entry). */
  readonly leaf: string;
  /** C2SP signed checkpoint note whose size is greater than `index`. */
  readonly checkpoint: string;
  /** RFC 9162 §2.1.3 inclusion proof, lowercase hex. */
  readonly proof: readonly string[];
}

/** The in-toto statement of a release: one subject, the artifact. */
export type ReleaseStatement = InTotoStatement<
  readonly [InTotoSubject],
  typeof RELEASE_PREDICATE_TYPE,
  {
    readonly deploy: ReleaseDeploy;
    readonly quorum: { readonly threshold: number; readonly approvers: readonly string[] };
    readonly approvals: readonly ReleaseVote[];
    readonly log: ReleaseLogProof;
  }
>;

export interface ReleaseStatementInput {
  readonly deploy: ReleaseDeploy;
  readonly quorum: { readonly threshold: number; readonly approvers: readonly string[] };
  readonly approvals: readonly ReleaseVote[];
  readonly log: ReleaseLogProof;
}


/**
 * Builds the statement, copying only the named fields (so nothing else a record may hold
 * rides along). The subject is the target named by its artifact digest; a quorum action
 * without an artifact (`-`) gets an empty digest set, which no verifier accepts for an
 * artifact: there is nothing to deploy.
 */
export function buildReleaseStatement(input: ReleaseStatementInput): ReleaseStatement {
  const { deploy, quorum, log } = input;
  const subject = [sha256Subject(deploy.target, digestLabelHex(deploy.artifact))] as const;
  return inTotoStatement(subject, RELEASE_PREDICATE_TYPE, {
    deploy: {
      id: deploy.id,
      action: deploy.action,
      target: deploy.target,
      environment: deploy.environment,
      artifact: deploy.artifact,
      request: deploy.request,
      policy: deploy.policy,
      expiresAt: deploy.expiresAt,
      message: deploy.message,
    },
    quorum: { threshold: quorum.threshold, approvers: [...quorum.approvers] },
    approvals: input.approvals.map((v) => ({
      approver: v.approver,
      publicKey: v.publicKey,
      ...(v.signature === undefined ? {} : { signature: v.signature }),
      ...(v.sshSignature === undefined ? {} : { sshSignature: v.sshSignature }),
    })),
    log: {
      origin: log.origin,
      index: log.index,
      leafHash: log.leafHash,
      leaf: log.leaf,
      checkpoint: log.checkpoint,
      proof: [...log.proof],
    },
  });
}
