import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { hasVote, quorumReached } from './count-votes.js';
import { freezeDeploy } from './deploy-record.js';
import {
  DEFAULT_MAX_OPEN_PER_CLIENT,
  tooManyOpenDeploys,
  type ApprovalQuorum,
  type ClaimOutcome,
  type PendingDeploy,
  type PendingDeployStore,
  type RecordApprovalResult,
  type ReleaseClaim,
  type Release,
  type Vote,
} from './pending-deploy.js';

/** Options of the in-memory adapter. */
export interface MemoryPendingDeployStoreOptions {
  readonly clock: Clock;
  /** Most deploys held at once; beyond it `create` fails closed with `unavailable`. */
  readonly maxDeploys?: number;
  /** Most OPEN deploys (pending, unexpired) of one client; beyond it `create` is 429. */
  readonly maxOpenPerClient?: number;
  /** Seconds a deploy stays readable after `expiresAt` (so a late reader sees `expired`). */
  readonly retainSeconds?: number;
}

interface Held {
  deploy: PendingDeploy;
  /** The live release claim, if any (never visible to readers). */
  claim?: ReleaseClaim;
}

/**
 * Single-process `PendingDeployStore`. Each method runs synchronously to completion before
 * it resolves, so in Node's one event loop every method is atomic: two concurrent approvals
 * from the same approver cannot both see it missing, and two callers cannot both claim a
 * release. Memory is bounded by `maxDeploys`; entries older than `expiresAt + retainSeconds`
 * are swept on `create`.
 */
export class MemoryPendingDeployStore implements PendingDeployStore {
  readonly #deploys = new Map<string, Held>();
  /** Client id → ids of its deploys that may still be open (pruned on each `create`). */
  readonly #openByClient = new Map<string, Set<string>>();
  readonly #clock: Clock;
  readonly #maxDeploys: number;
  readonly #maxOpenPerClient: number;
  readonly #retainSeconds: number;

  constructor(options: MemoryPendingDeployStoreOptions) {
    this.#clock = options.clock;
    this.#maxDeploys = options.maxDeploys ?? 10_000;
    this.#maxOpenPerClient = options.maxOpenPerClient ?? DEFAULT_MAX_OPEN_PER_CLIENT;
    if (!Number.isInteger(this.#maxOpenPerClient) || this.#maxOpenPerClient < 1)
      throw new RangeError('MemoryPendingDeployStore: maxOpenPerClient must be a positive integer');
    this.#retainSeconds = options.retainSeconds ?? 3600;
    if (!Number.isInteger(this.#maxDeploys) || this.#maxDeploys < 1)
      throw new RangeError('MemoryPendingDeployStore: maxDeploys must be a positive integer');
    if (!Number.isInteger(this.#retainSeconds) || this.#retainSeconds < 0)
      throw new RangeError(
        'MemoryPendingDeployStore: retainSeconds must be a non-negative integer',
      );
  }

  /**
   * @throws GatewayError `rate_limited` when the client holds its cap of open deploys,
   * `unavailable` when full of live deploys; RangeError on a duplicate id.
   */
  create(deploy: PendingDeploy): Promise<void> {
    if (this.#deploys.has(deploy.id))
      return Promise.reject(new RangeError('MemoryPendingDeployStore: duplicate deploy id'));
    const nowMs = this.#clock.nowMs();
    const open = this.#openOf(deploy.clientId, nowMs);
    if (open.length >= this.#maxOpenPerClient) {
      const oldest = Math.min(...open.map((d) => d.expiresAt * 1000));
      return Promise.reject(tooManyOpenDeploys(this.#maxOpenPerClient, oldest, nowMs));
    }
    if (this.#deploys.size >= this.#maxDeploys) this.#sweep();
    if (this.#deploys.size >= this.#maxDeploys)
      return Promise.reject(
        new GatewayError('unavailable', { detail: 'too many pending deploys' }),
      );
    this.#deploys.set(deploy.id, { deploy: freezeDeploy(deploy) });
    const ids = this.#openByClient.get(deploy.clientId) ?? new Set<string>();
    ids.add(deploy.id);
    this.#openByClient.set(deploy.clientId, ids);
    return Promise.resolve();
  }

  /** The client's open deploys (pending, unexpired); drops ids that are no longer open. */
  #openOf(clientId: string, nowMs: number): PendingDeploy[] {
    const ids = this.#openByClient.get(clientId);
    if (ids === undefined) return [];
    const open: PendingDeploy[] = [];
    for (const id of ids) {
      const deploy = this.#deploys.get(id)?.deploy;
      if (deploy !== undefined && deploy.state === 'pending' && nowMs <= deploy.expiresAt * 1000)
        open.push(deploy);
      else ids.delete(id);
    }
    if (ids.size === 0) this.#openByClient.delete(clientId);
    return open;
  }

  /** The deploy, while retained (until `expiresAt + retainSeconds`). Never changes the record. */
  get(id: string): Promise<PendingDeploy | undefined> {
    return Promise.resolve(this.#live(id, this.#clock.nowMs())?.deploy);
  }

  recordApproval(
    id: string,
    vote: Vote,
    nowMs: number,
    quorum: ApprovalQuorum,
    claim: ReleaseClaim,
  ): Promise<RecordApprovalResult> {
    return Promise.resolve(this.#record(id, vote, nowMs, quorum, claim));
  }

  claimRelease(id: string, claim: ReleaseClaim, nowMs: number): Promise<ClaimOutcome> {
    const held = this.#live(id, nowMs);
    if (held === undefined || held.deploy.state !== 'approved')
      return Promise.resolve('not_approved');
    if (held.deploy.released) return Promise.resolve('released');
    if (held.claim !== undefined && held.claim.untilMs >= nowMs) return Promise.resolve('held');
    held.claim = claim;
    return Promise.resolve('claimed');
  }

  completeRelease(id: string, token: string, release: Release): Promise<void> {
    const held = this.#deploys.get(id);
    if (held !== undefined && held.deploy.state === 'approved' && !held.deploy.released)
      held.deploy = freezeDeploy({
        ...held.deploy,
        released: true,
        decision: release.decision,
        approvals: release.approvals,
      });
    if (held?.claim?.token === token) delete held.claim;
    return Promise.resolve();
  }

  abandonRelease(id: string, token: string): Promise<void> {
    const held = this.#deploys.get(id);
    if (held?.claim?.token === token) delete held.claim;
    return Promise.resolve();
  }

  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.#deploys.clear();
    this.#openByClient.clear();
    return Promise.resolve();
  }

  /** Number of deploys held (for tests and metrics). */
  get size(): number {
    return this.#deploys.size;
  }

  #record(
    id: string,
    vote: Vote,
    nowMs: number,
    quorum: ApprovalQuorum,
    claim: ReleaseClaim,
  ): RecordApprovalResult {
    const held = this.#live(id, nowMs);
    if (held === undefined) return { outcome: 'unknown_deploy' };
    const { deploy } = held;
    if (deploy.state === 'approved') return { outcome: 'deploy_closed' };
    if (nowMs > deploy.expiresAt * 1000) return { outcome: 'deploy_expired' };
    if (hasVote(deploy.votes, vote.approver, vote.publicKey))
      return { outcome: 'already_approved' };
    const votes = [...deploy.votes, { ...vote }];
    const approved = quorumReached(votes, quorum);
    held.deploy = freezeDeploy({ ...deploy, votes, state: approved ? 'approved' : 'pending' });
    if (approved) held.claim = claim;
    return { outcome: 'recorded', deploy: held.deploy, releaseClaimed: approved };
  }

  /** The held record unless gone; a gone one is dropped (bookkeeping, not a state change). */
  #live(id: string, nowMs: number): Held | undefined {
    const held = this.#deploys.get(id);
    if (held === undefined) return undefined;
    if (this.#gone(held.deploy, nowMs)) {
      this.#deploys.delete(id);
      return undefined;
    }
    return held;
  }

  #gone(deploy: PendingDeploy, nowMs: number): boolean {
    return nowMs > (deploy.expiresAt + this.#retainSeconds) * 1000;
  }

  #sweep(): void {
    const nowMs = this.#clock.nowMs();
    for (const [id, held] of this.#deploys)
      if (this.#gone(held.deploy, nowMs)) this.#deploys.delete(id);
  }
}
