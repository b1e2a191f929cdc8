import type { DeployWatch } from './deploy-watch.js';
import type {
  ApprovalQuorum,
  ClaimOutcome,
  PendingDeploy,
  PendingDeployStore,
  RecordApprovalResult,
  Release,
  ReleaseClaim,
  Vote,
} from './pending-deploy.js';

/**
 * Decorates a PendingDeployStore so every stored change of a deploy — a recorded vote, a
 * completed release — is announced on `watch` (docs/protocol.md §10: a held GET answers as soon as
 * the state changes). The announcement follows the store write, so a woken reader sees
 * the change; every path that changes a deploy goes through the store, so none is missed.
 */
export class NotifyingDeployStore implements PendingDeployStore {
  constructor(
    private readonly store: PendingDeployStore,
    private readonly watch: DeployWatch,
  ) {}

  create(deploy: PendingDeploy): Promise<void> {
    return this.store.create(deploy);
  }

  get(id: string): Promise<PendingDeploy | undefined> {
    return this.store.get(id);
  }

  async recordApproval(
    id: string,
    vote: Vote,
    nowMs: number,
    quorum: ApprovalQuorum,
    claim: ReleaseClaim,
  ): Promise<RecordApprovalResult> {
    const result = await this.store.recordApproval(id, vote, nowMs, quorum, claim);
    if (result.outcome === 'recorded') this.watch.notify(id);
    return result;
  }

  claimRelease(id: string, claim: ReleaseClaim, nowMs: number): Promise<ClaimOutcome> {
    return this.store.claimRelease(id, claim, nowMs);
  }

  async completeRelease(id: string, token: string, release: Release): Promise<void> {
    await this.store.completeRelease(id, token, release);
    this.watch.notify(id);
  }

  abandonRelease(id: string, token: string): Promise<void> {
    return this.store.abandonRelease(id, token);
  }

  ready(): Promise<boolean> {
    return this.store.ready();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
