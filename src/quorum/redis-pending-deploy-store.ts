import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { closeRedisClient, isRedisReady } from '../redis/connection.js';
import type {
  ApprovalQuorum,
  PendingDeploy,
  PendingDeployStore,
  RecordApprovalResult,
} from './pending-deploy.js';
import {
  APPROVE_DEPLOY_LUA,
  CREATE_DEPLOY_LUA,
  MARK_RELEASED_LUA,
} from './redis-pending-deploy-scripts.js';

type CreateScript = (key: string, ...args: Array<string | number>) => Promise<unknown>;
type ApproveScript = (key: string, ...args: Array<string | number>) => Promise<unknown>;
type MarkReleasedScript = (key: string) => Promise<unknown>;

export interface RedisPendingDeployStoreOptions {
  readonly redis: Redis;
  /** Key prefix (`REDIS_PREFIX`); keys are `<prefix>deploy:<id>`. */
  readonly prefix: string;
  readonly clock: Clock;
  /** Seconds a deploy stays readable after `expiresAt` (default 3600, as in memory). */
  readonly retainSeconds?: number;
}

/**
 * The shared PendingDeployStore: a deploy created through one instance is seen, approved
 * and closed identically through every other. Fails closed: a Redis error or an
 * unreadable record rejects with GatewayError `unavailable` (503).
 */
export class RedisPendingDeployStore implements PendingDeployStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #retainMs: number;
  readonly #create: CreateScript;
  readonly #approve: ApproveScript;
  readonly #markReleased: MarkReleasedScript;

  constructor(options: RedisPendingDeployStoreOptions) {
    const retainSeconds = options.retainSeconds ?? 3600;
    if (!Number.isSafeInteger(retainSeconds) || retainSeconds < 0)
      throw new RangeError('retainSeconds must be a non-negative integer');
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#clock = options.clock;
    this.#retainMs = retainSeconds * 1000;
    const scripts = this.#redis as unknown as Record<string, CreateScript | undefined>;
    if (scripts['codexDeployCreate'] === undefined)
      this.#redis.defineCommand('codexDeployCreate', { numberOfKeys: 1, lua: CREATE_DEPLOY_LUA });
    if (scripts['codexDeployApprove'] === undefined)
      this.#redis.defineCommand('codexDeployApprove', { numberOfKeys: 1, lua: APPROVE_DEPLOY_LUA });
    if (scripts['codexDeployMarkReleased'] === undefined)
      this.#redis.defineCommand('codexDeployMarkReleased', {
        numberOfKeys: 1,
        lua: MARK_RELEASED_LUA,
      });
    this.#create = (scripts['codexDeployCreate'] as CreateScript).bind(this.#redis);
    this.#approve = (scripts['codexDeployApprove'] as ApproveScript).bind(this.#redis);
    this.#markReleased = (scripts['codexDeployMarkReleased'] as MarkReleasedScript).bind(
      this.#redis,
    );
  }

  /** Redis key of deploy `id`. */
  deployKey(id: string): string {
    return `${this.#prefix}deploy:${id}`;
  }

  /** @throws RangeError on a duplicate id; GatewayError `unavailable` when Redis fails. */
  async create(deploy: PendingDeploy): Promise<void> {
    const expiresAtMs = deploy.expiresAt * 1000;
    const goneAtMs = expiresAtMs + this.#retainMs;
    // Relative expiry from our clock, so a skewed Redis clock cannot drop it early.
    const ttlMs = Math.max(1, goneAtMs - this.#clock.nowMs());
    const created = await this.#call(() =>
      this.#create(
        this.deployKey(deploy.id),
        JSON.stringify(deploy),
        JSON.stringify(deploy.approvedBy),
        deploy.state,
        expiresAtMs,
        goneAtMs,
        ttlMs,
      ),
    );
    if (created !== 1) throw new RangeError('RedisPendingDeployStore: duplicate deploy id');
  }

  async get(id: string): Promise<PendingDeploy | undefined> {
    const [deploy, approvedBy, state, goneAtMs, released] = (await this.#call(() =>
      this.#redis.hmget(
        this.deployKey(id),
        'deploy',
        'approvedBy',
        'state',
        'goneAtMs',
        'released',
      ),
    )) as Array<string | null>;
    if (deploy == null) return undefined;
    if (this.#clock.nowMs() > Number(goneAtMs)) return undefined;
    return decode(deploy, approvedBy, state, released === '1');
  }

  async recordApproval(
    id: string,
    approver: string,
    nowMs: number,
    quorum: ApprovalQuorum,
  ): Promise<RecordApprovalResult> {
    const reply = await this.#call(() =>
      this.#approve(this.deployKey(id), approver, nowMs, quorum.threshold, ...quorum.approvers),
    );
    if (!Array.isArray(reply)) throw unreadable();
    const [outcome, deploy, approvedBy, state] = reply as unknown[];
    switch (outcome) {
      case 'unknown_deploy':
      case 'already_approved':
      case 'deploy_closed':
      case 'deploy_expired':
        return { outcome };
      case 'recorded':
        return { outcome, deploy: decode(deploy, approvedBy, state) };
      default:
        throw unreadable();
    }
  }

  async markReleased(id: string): Promise<void> {
    await this.#call(() => this.#markReleased(this.deployKey(id)));
  }

  ready(): Promise<boolean> {
    return isRedisReady(this.#redis);
  }

  close(): Promise<void> {
    return closeRedisClient(this.#redis);
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new GatewayError('unavailable', { detail: 'deploy store unavailable', cause });
    }
  }
}

/** Rebuilds a frozen PendingDeploy from the stored fields; anything odd fails closed. */
function decode(
  deploy: unknown,
  approvedBy: unknown,
  state: unknown,
  released = false,
): PendingDeploy {
  try {
    if (typeof deploy !== 'string' || typeof approvedBy !== 'string') throw unreadable();
    if (state !== 'pending' && state !== 'approved') throw unreadable();
    const record = JSON.parse(deploy) as PendingDeploy;
    const names: unknown = JSON.parse(approvedBy);
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw unreadable();
    if (typeof record !== 'object' || record === null || !Array.isArray(record.approvers))
      throw unreadable();
    return Object.freeze({
      ...record,
      approvers: Object.freeze([...record.approvers]),
      approvedBy: Object.freeze(names as string[]),
      state,
      released: state === 'approved' && released,
    });
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError('unavailable', { detail: 'deploy record unreadable', cause });
  }
}

function unreadable(): GatewayError {
  return new GatewayError('unavailable', { detail: 'deploy record unreadable' });
}
