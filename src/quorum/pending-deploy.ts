import { GatewayError } from '../errors.js';

/**
 * Port and types for pending deploys (docs/protocol.md §5, §10, §12). Adapters: in-memory and
 * Redis (chosen in compose.ts). Every field an approver signs is fixed here when the deploy
 * is created, from the server's own record of the event, never from later client input.
 */
export type DeployState = 'pending' | 'approved' | 'expired';

/**
 * One accepted vote, bound to the key that verified it (docs/protocol.md §12, last point): it
 * counts only while the CURRENT policy maps `approver` to this same `publicKey`.
 */
export interface SignatureVote {
  readonly approver: string;
  /** 64 lowercase hex: the Ed25519 public key the signature verified under. */
  readonly publicKey: string;
  /** 128 lowercase hex: the strict RFC 8032 signature over the deploy's message. */
  readonly signature: string;
}

/**
 * The SSHSIG variant (docs/protocol.md §12): the same binding, with the armored signature instead
 * of raw hex. Declared here so stores keep it verbatim; the verifier lands with issue 17.
 */
export interface SshSignatureVote {
  readonly approver: string;
  /** The key the SSH signature verified under, as the policy spells it (64 hex for ed25519). */
  readonly publicKey: string;
  readonly sshSignature: string;
}

/** A recorded vote: exactly one of `signature` or `sshSignature`. */
export type Vote = SignatureVote | SshSignatureVote;

/** Where the `allow` decision of a released deploy sits in the audit log. */
export interface ReleaseDecision {
  readonly index: number;
  /** 64 lowercase hex RFC 6962 leaf hash. */
  readonly leafHash: string;
}

export interface PendingDeploy {
  /** ≥ 128 random bits, hex. */
  readonly id: string;
  readonly decisionId: string;
  readonly clientId: string;
  readonly action: string;
  readonly target: string;
  readonly environment: string;
  readonly artifact: string;
  /** `sha256:<hex>` of the raw event body. */
  readonly request: string;
  /** Policy revision the event was decided under. */
  readonly policy: string;
  readonly threshold: number;
  readonly approvers: readonly string[];
  /** Unix seconds. */
  readonly expiresAt: number;
  /** The exact approval message text. */
  readonly message: string;
  /** Every accepted vote, in order of acceptance (counted or not under the current policy). */
  readonly votes: readonly Vote[];
  /** Distinct names of `votes`, in order of first acceptance (derived; what readers show). */
  readonly approvedBy: readonly string[];
  /** `approved` once the counted votes reach threshold; `expired` is derived from the clock on read. */
  readonly state: 'pending' | 'approved';
  /**
   * True once the `allow` decision of an approved deploy is durable in the audit log. Until
   * then readers see the deploy as `pending`: no one is told a deploy is approved before
   * the log can prove it (deploy-state.ts).
   */
  readonly released: boolean;
  /** The audit entry of the `allow` decision; present exactly when `released`. */
  readonly decision?: ReleaseDecision;
  /** The votes counted for the release, in order of acceptance; present exactly when `released`. */
  readonly approvals?: readonly Vote[];
  /**
   * The event as the client sent it, kept only when a delivery target receives this
   * deploy's `deploy.approved` (docs/protocol.md §11 body); never shown in a deploy view.
   */
  readonly event?: unknown;
}

/** Default most open deploys per client (GATEWAY_PENDING_DEPLOYS_PER_CLIENT). */
export const DEFAULT_MAX_OPEN_PER_CLIENT = 100;

/** The refusal of `create` when a client holds its cap of open deploys. */
export function tooManyOpenDeploys(cap: number, oldestExpiresAtMs: number, nowMs: number) {
  return new GatewayError('rate_limited', {
    detail: `this client already holds ${cap} open deploys (the per-client cap); approve or let one expire`,
    retryAfter: Math.max(1, Math.ceil((oldestExpiresAtMs - nowMs) / 1000)),
  });
}

/** What `completeRelease` records: the durable `allow` entry and the votes it counted. */
export interface Release {
  readonly decision: ReleaseDecision;
  readonly approvals: readonly Vote[];
}

/**
 * The right to append a deploy's `allow` decision (docs/protocol.md §16: exactly one per deploy).
 * A store hands it to at most one caller at a time; it lapses at `untilMs` so a holder that
 * crashed cannot block the release forever.
 */
export interface ReleaseClaim {
  /** Random, unguessable; proves who holds the claim. */
  readonly token: string;
  /** Unix ms after which another caller may claim the release. */
  readonly untilMs: number;
}

export type RecordApprovalResult =
  | {
      readonly outcome: 'recorded';
      readonly deploy: PendingDeploy;
      /** True when this vote completed the quorum: the caller now holds `claim`. */
      readonly releaseClaimed: boolean;
    }
  | { readonly outcome: 'unknown_deploy' }
  | { readonly outcome: 'already_approved' }
  | { readonly outcome: 'deploy_closed' }
  | { readonly outcome: 'deploy_expired' };

/** Answer of `claimRelease`. */
export type ClaimOutcome =
  /** The caller holds the claim and must append the `allow`, then complete or abandon. */
  | 'claimed'
  /** Already released: nothing to do. */
  | 'released'
  /** Another caller holds a live claim. */
  | 'held'
  /** Not approved (pending, or gone). */
  | 'not_approved';

/**
 * The quorum an approval is counted against: the CURRENT policy's rule for the deploy's
 * action (hot reload honoured), not the rule captured at creation.
 */
export interface ApprovalQuorum {
  readonly threshold: number;
  /** Eligible approver names; recorded names outside this list never count toward `threshold`. */
  readonly approvers: readonly string[];
  /**
   * The current key of each eligible approver (64 lowercase hex). A vote counts only if its
   * `publicKey` equals this; a name without an entry has no counting vote.
   */
  readonly keys: Readonly<Record<string, string>>;
}

export interface PendingDeployStore {
  /**
   * Stores a new pending deploy that disappears some time after `expiresAt`. Refuses with
   * GatewayError `rate_limited` (429, `Retry-After` until the client's oldest open deploy
   * expires) when `deploy.clientId` already holds the store's per-client number of OPEN
   * deploys (pending and not expired), so one client cannot fill the store for everyone.
   */
  create(deploy: PendingDeploy): Promise<void>;
  /** Reads a deploy; never changes it. */
  get(id: string): Promise<PendingDeploy | undefined>;
  /**
   * Atomically appends `vote`. The state becomes `approved` when the counted votes
   * (`countedVotes` in count-votes.ts: distinct listed names whose key is current) reach
   * `quorum.threshold`; in that same atomic step the release is claimed for `claim`, so the
   * approval that completes the quorum is the one that releases it. Two concurrent calls for
   * the same approver and key record one vote. Outcome order: unknown_deploy, deploy_closed
   * (already approved), deploy_expired (pending and `nowMs > expiresAt * 1000`),
   * already_approved (a vote of this approver with this key exists).
   */
  recordApproval(
    id: string,
    vote: Vote,
    nowMs: number,
    quorum: ApprovalQuorum,
    claim: ReleaseClaim,
  ): Promise<RecordApprovalResult>;
  /** Atomically claims the release of an approved, unreleased deploy (see ClaimOutcome). */
  claimRelease(id: string, claim: ReleaseClaim, nowMs: number): Promise<ClaimOutcome>;
  /**
   * Marks the deploy released with its `allow` entry and counted votes once that entry is
   * durable, and drops the claim. Idempotent; a second call never replaces the first release.
   */
  completeRelease(id: string, token: string, release: Release): Promise<void>;
  /** Drops the claim `token` holds (its append failed), so the next caller may retry at once. */
  abandonRelease(id: string, token: string): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
