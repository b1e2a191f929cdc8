/**
 * Port and types for pending deploys (PROTOCOL §5). Adapters: in-memory and Redis.
 * Every field an approver signs is fixed here when the deploy is created, from the
 * server's own record of the event, never from later client input.
 */
export type DeployState = 'pending' | 'approved' | 'expired';

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
  /** Names that approved, in order of acceptance. */
  readonly approvedBy: readonly string[];
  /** `approved` once approvedBy reaches threshold; `expired` is derived from the clock on read. */
  readonly state: 'pending' | 'approved';
  /**
   * True once the `allow` decision of an approved deploy is durable in the audit log. Until
   * then readers see the deploy as `pending`: no one is told a deploy is approved before
   * the log can prove it (deploy-view.ts).
   */
  readonly released: boolean;
}

export type RecordApprovalResult =
  | { readonly outcome: 'recorded'; readonly deploy: PendingDeploy }
  | { readonly outcome: 'unknown_deploy' }
  | { readonly outcome: 'already_approved' }
  | { readonly outcome: 'deploy_closed' }
  | { readonly outcome: 'deploy_expired' };

/**
 * The quorum an approval is counted against: the CURRENT policy's rule for the deploy's
 * action (hot reload honoured), not the rule captured at creation.
 */
export interface ApprovalQuorum {
  readonly threshold: number;
  /** Eligible approver names; recorded names outside this list never count toward `threshold`. */
  readonly approvers: readonly string[];
}

export interface PendingDeployStore {
  /** Stores a new pending deploy that disappears some time after `expiresAt`. */
  create(deploy: PendingDeploy): Promise<void>;
  get(id: string): Promise<PendingDeploy | undefined>;
  /**
   * Atomically adds `approver` to `approvedBy`. The state becomes `approved` when the number
   * of DISTINCT names in `approvedBy` that are also in `quorum.approvers` reaches
   * `quorum.threshold` (see `quorumReached` in count-votes.ts), so an approver removed by a
   * policy hot reload stops counting even for votes recorded before the reload. Two
   * concurrent calls for the same approver record one vote. Outcome order: unknown_deploy,
   * deploy_closed (already approved), deploy_expired (pending and `nowMs > expiresAt *
   * 1000`), already_approved.
   */
  recordApproval(
    id: string,
    approver: string,
    nowMs: number,
    quorum: ApprovalQuorum,
  ): Promise<RecordApprovalResult>;
  /** Sets `released` on an approved deploy once its `allow` decision is durable; no-op if gone. */
  markReleased(id: string): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
