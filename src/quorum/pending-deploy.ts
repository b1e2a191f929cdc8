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
}

export type RecordApprovalResult =
  | { readonly outcome: 'recorded'; readonly deploy: PendingDeploy }
  | { readonly outcome: 'unknown_deploy' }
  | { readonly outcome: 'already_approved' }
  | { readonly outcome: 'deploy_closed' }
  | { readonly outcome: 'deploy_expired' };

export interface PendingDeployStore {
  /** Stores a new pending deploy that disappears some time after `expiresAt`. */
  create(deploy: PendingDeploy): Promise<void>;
  get(id: string): Promise<PendingDeploy | undefined>;
  /**
   * Atomically adds `approver` to `approvedBy` (state becomes `approved` when the count reaches
   * `threshold`). Two concurrent calls for the same approver record one vote.
   */
  recordApproval(
    id: string,
    approver: string,
    nowMs: number,
    threshold: number,
  ): Promise<RecordApprovalResult>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
