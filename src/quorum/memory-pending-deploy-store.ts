import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { quorumReached } from './count-votes.js';
import type {
  ApprovalQuorum,
  PendingDeploy,
  PendingDeployStore,
  RecordApprovalResult,
} from './pending-deploy.js';

/** Options of the in-memory adapter. */
export interface MemoryPendingDeployStoreOptions {
  readonly clock: Clock;
  /** Most deploys held at once; beyond it `create` fails closed with `unavailable`. */
  readonly maxDeploys?: number;
  /** Seconds a deploy stays readable after `expiresAt` (so a late reader sees `expired`). */
  readonly retainSeconds?: number;
}

/**
 * Single-process `PendingDeployStore`. Each method runs synchronously to completion before
 * it resolves, so in Node's one event loop a `recordApproval` is atomic: two concurrent
 * approvals from the same approver cannot both see it missing. Memory is bounded by
 * `maxDeploys`; entries older than `expiresAt + retainSeconds` are swept on `create`.
 */
export class MemoryPendingDeployStore implements PendingDeployStore {
  readonly #deploys = new Map<string, PendingDeploy>();
  readonly #clock: Clock;
  readonly #maxDeploys: number;
  readonly #retainSeconds: number;

  constructor(options: MemoryPendingDeployStoreOptions) {
    this.#clock = options.clock;
    this.#maxDeploys = options.maxDeploys ?? 10_000;
    this.#retainSeconds = options.retainSeconds ?? 3600;
    if (!Number.isInteger(this.#maxDeploys) || this.#maxDeploys < 1)
      throw new RangeError('MemoryPendingDeployStore: maxDeploys must be a positive integer');
    if (!Number.isInteger(this.#retainSeconds) || this.#retainSeconds < 0)
      throw new RangeError(
        'MemoryPendingDeployStore: retainSeconds must be a non-negative integer',
      );
  }

  /** @throws GatewayError `unavailable` when full of live deploys; RangeError on a duplicate id. */
  create(deploy: PendingDeploy): Promise<void> {
    if (this.#deploys.has(deploy.id))
      return Promise.reject(new RangeError('MemoryPendingDeployStore: duplicate deploy id'));
    if (this.#deploys.size >= this.#maxDeploys) this.#sweep();
    if (this.#deploys.size >= this.#maxDeploys)
      return Promise.reject(
        new GatewayError('unavailable', { detail: 'too many pending deploys' }),
      );
    this.#deploys.set(deploy.id, freeze(deploy));
    return Promise.resolve();
  }

  /** The deploy, while retained (until `expiresAt + retainSeconds`). */
  get(id: string): Promise<PendingDeploy | undefined> {
    const deploy = this.#deploys.get(id);
    if (deploy !== undefined && this.#gone(deploy, this.#clock.nowMs())) {
      this.#deploys.delete(id);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(deploy);
  }

  recordApproval(
    id: string,
    approver: string,
    nowMs: number,
    quorum: ApprovalQuorum,
  ): Promise<RecordApprovalResult> {
    return Promise.resolve(this.#record(id, approver, nowMs, quorum));
  }

  markReleased(id: string): Promise<void> {
    const deploy = this.#deploys.get(id);
    if (deploy?.state === 'approved') this.#deploys.set(id, freeze({ ...deploy, released: true }));
    return Promise.resolve();
  }

  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.#deploys.clear();
    return Promise.resolve();
  }

  /** Number of deploys held (for tests and metrics). */
  get size(): number {
    return this.#deploys.size;
  }

  #record(
    id: string,
    approver: string,
    nowMs: number,
    quorum: ApprovalQuorum,
  ): RecordApprovalResult {
    const deploy = this.#deploys.get(id);
    if (deploy === undefined || this.#gone(deploy, nowMs)) return { outcome: 'unknown_deploy' };
    if (deploy.state === 'approved') return { outcome: 'deploy_closed' };
    if (nowMs > deploy.expiresAt * 1000) return { outcome: 'deploy_expired' };
    if (deploy.approvedBy.includes(approver)) return { outcome: 'already_approved' };
    const approvedBy = [...deploy.approvedBy, approver];
    const updated = freeze({
      ...deploy,
      approvedBy,
      state: quorumReached(approvedBy, quorum) ? 'approved' : 'pending',
    });
    this.#deploys.set(id, updated);
    return { outcome: 'recorded', deploy: updated };
  }

  #gone(deploy: PendingDeploy, nowMs: number): boolean {
    return nowMs > (deploy.expiresAt + this.#retainSeconds) * 1000;
  }

  #sweep(): void {
    const nowMs = this.#clock.nowMs();
    for (const [id, deploy] of this.#deploys)
      if (this.#gone(deploy, nowMs)) this.#deploys.delete(id);
  }
}

/** A frozen copy, so no caller can change the stored record through a returned object. */
function freeze(deploy: PendingDeploy): PendingDeploy {
  return Object.freeze({
    ...deploy,
    approvers: Object.freeze([...deploy.approvers]),
    approvedBy: Object.freeze([...deploy.approvedBy]),
  });
}
