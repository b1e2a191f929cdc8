import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { closeRedisClient, isRedisReady } from '../redis/connection.js';
import { freezeDeploy, parseStoredDecision, parseStoredVote } from './deploy-record.js';
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
import {
  ABANDON_RELEASE_LUA,
  APPROVE_DEPLOY_LUA,
  CLAIM_RELEASE_LUA,
  COMPLETE_RELEASE_LUA,
  CREATE_DEPLOY_LUA,
} from './redis-pending-deploy-scripts.js';

type Script = (key: string, ...args: Array<string | number>) => Promise<unknown>;

export interface RedisPendingDeployStoreOptions {
  readonly redis: Redis;
  /** Key prefix (`REDIS_PREFIX`); keys are `<prefix>deploy:<id>`. */
  readonly prefix: string;
  readonly clock: Clock;
  /** Seconds a deploy stays readable after `expiresAt` (default 3600, as in memory). */
  readonly retainSeconds?: number;
  /** Most OPEN deploys (pending, unexpired) of one client, across all instances. */
  readonly maxOpenPerClient?: number;
}

/** Script name (as defined on the connection) → Lua text. */
const SCRIPTS = {
  codexDeployCreate2: CREATE_DEPLOY_LUA,
  codexDeployApprove2: APPROVE_DEPLOY_LUA,
  codexDeployClaim: CLAIM_RELEASE_LUA,
  codexDeployComplete: COMPLETE_RELEASE_LUA,
  codexDeployAbandon: ABANDON_RELEASE_LUA,
} as const;

const CLAIM_OUTCOMES = new Set<ClaimOutcome>(['claimed', 'released', 'held', 'not_approved']);

/**
 * The shared PendingDeployStore: a deploy created through one instance is seen, approved,
 * claimed and released identically through every other. Fails closed: a Redis error or an
 * unreadable record rejects with GatewayError `unavailable` (503).
 */
export class RedisPendingDeployStore implements PendingDeployStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #retainMs: number;
  readonly #maxOpenPerClient: number;
  readonly #scripts: Record<keyof typeof SCRIPTS, Script>;

  constructor(options: RedisPendingDeployStoreOptions) {
    const retainSeconds = options.retainSeconds ?? 3600;
    if (!Number.isSafeInteger(retainSeconds) || retainSeconds < 0)
      throw new RangeError('retainSeconds must be a non-negative integer');
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#clock = options.clock;
    this.#retainMs = retainSeconds * 1000;
    this.#maxOpenPerClient = options.maxOpenPerClient ?? DEFAULT_MAX_OPEN_PER_CLIENT;
    if (!Number.isSafeInteger(this.#maxOpenPerClient) || this.#maxOpenPerClient < 1)
      throw new RangeError('maxOpenPerClient must be a positive integer');
    const defined = this.#redis as unknown as Record<string, Script | undefined>;
    const scripts: Partial<Record<keyof typeof SCRIPTS, Script>> = {};
    for (const [name, lua] of Object.entries(SCRIPTS) as Array<[keyof typeof SCRIPTS, string]>) {
      const numberOfKeys = name === 'codexDeployCreate2' ? 2 : 1;
      if (defined[name] === undefined) this.#redis.defineCommand(name, { numberOfKeys, lua });
      scripts[name] = (defined[name] as Script).bind(this.#redis);
    }
    this.#scripts = scripts as Record<keyof typeof SCRIPTS, Script>;
  }

  /** Redis key of deploy `id`. */
  deployKey(id: string): string {
    return `${this.#prefix}deploy:${id}`;
  }

  /** Redis key of the set of `clientId`'s possibly open deploys. */
  openKey(clientId: string): string {
    return `${this.#prefix}deploys-open:${clientId}`;
  }

  /**
   * @throws RangeError on a duplicate id; GatewayError `rate_limited` when the client holds
   * its cap of open deploys, `unavailable` when Redis fails.
   */
  async create(deploy: PendingDeploy): Promise<void> {
    const expiresAtMs = deploy.expiresAt * 1000;
    const goneAtMs = expiresAtMs + this.#retainMs;
    const nowMs = this.#clock.nowMs();
    // Relative expiry from our clock, so a skewed Redis clock cannot drop it early.
    const ttlMs = Math.max(1, goneAtMs - nowMs);
    const {
      votes,
      approvedBy: _names,
      state,
      released: _released,
      decision: _decision,
      approvals: _approvals,
      ...signed
    } = deploy;
    const created = await this.#call(() =>
      this.#scripts.codexDeployCreate2(
        this.deployKey(deploy.id),
        this.openKey(deploy.clientId),
        JSON.stringify(signed),
        JSON.stringify(votes),
        state,
        expiresAtMs,
        goneAtMs,
        ttlMs,
        nowMs,
        this.#maxOpenPerClient,
        deploy.id,
      ),
    );
    if (Array.isArray(created) && created[0] === 'full')
      throw tooManyOpenDeploys(this.#maxOpenPerClient, Number(created[1]), nowMs);
    if (created !== 1) throw new RangeError('RedisPendingDeployStore: duplicate deploy id');
  }

  async get(id: string): Promise<PendingDeploy | undefined> {
    const [deploy, votes, state, goneAtMs, released, decision, approvals] = (await this.#call(() =>
      this.#redis.hmget(
        this.deployKey(id),
        'deploy',
        'votes',
        'state',
        'goneAtMs',
        'released',
        'decision',
        'approvals',
      ),
    )) as Array<string | null>;
    if (deploy == null) return undefined;
    if (this.#clock.nowMs() > Number(goneAtMs)) return undefined;
    return decode(deploy, votes, state, released === '1' ? { decision, approvals } : undefined);
  }

  async recordApproval(
    id: string,
    vote: Vote,
    nowMs: number,
    quorum: ApprovalQuorum,
    claim: ReleaseClaim,
  ): Promise<RecordApprovalResult> {
    const pairs: string[] = [];
    for (const name of quorum.approvers)
      if (Object.hasOwn(quorum.keys, name)) pairs.push(name, quorum.keys[name]!);
    const reply = await this.#call(() =>
      this.#scripts.codexDeployApprove2(
        this.deployKey(id),
        vote.approver,
        vote.publicKey,
        JSON.stringify(vote),
        nowMs,
        quorum.threshold,
        claim.token,
        claim.untilMs,
        ...pairs,
      ),
    );
    if (!Array.isArray(reply)) throw unreadable();
    const [outcome, deploy, votes, state] = reply as unknown[];
    switch (outcome) {
      case 'unknown_deploy':
      case 'already_approved':
      case 'deploy_closed':
      case 'deploy_expired':
        return { outcome };
      case 'recorded': {
        const updated = decode(deploy, votes, state, undefined);
        // No longer open: free its place under the client's cap. Best effort: if this
        // fails, the id still leaves the set when the deploy expires (counting it until then
        // errs on the side of refusing), and the recorded vote must not be reported lost.
        if (updated.state === 'approved')
          await this.#redis.zrem(this.openKey(updated.clientId), id).catch(() => undefined);
        return { outcome, deploy: updated, releaseClaimed: updated.state === 'approved' };
      }
      default:
        throw unreadable();
    }
  }

  async claimRelease(id: string, claim: ReleaseClaim, nowMs: number): Promise<ClaimOutcome> {
    const reply = await this.#call(() =>
      this.#scripts.codexDeployClaim(this.deployKey(id), claim.token, claim.untilMs, nowMs),
    );
    if (typeof reply !== 'string' || !CLAIM_OUTCOMES.has(reply as ClaimOutcome)) throw unreadable();
    return reply as ClaimOutcome;
  }

  async completeRelease(id: string, token: string, release: Release): Promise<void> {
    const { index, leafHash } = release.decision;
    const decision = JSON.stringify({ index, leafHash });
    const approvals = JSON.stringify(release.approvals);
    await this.#call(() =>
      this.#scripts.codexDeployComplete(this.deployKey(id), token, decision, approvals),
    );
  }

  async abandonRelease(id: string, token: string): Promise<void> {
    await this.#call(() => this.#scripts.codexDeployAbandon(this.deployKey(id), token));
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
  votesText: unknown,
  state: unknown,
  releaseText:
    { decision: string | null | undefined; approvals: string | null | undefined } | undefined,
): PendingDeploy {
  try {
    if (typeof deploy !== 'string' || typeof votesText !== 'string') throw unreadable();
    if (state !== 'pending' && state !== 'approved') throw unreadable();
    const record = JSON.parse(deploy) as PendingDeploy;
    if (typeof record !== 'object' || record === null || !Array.isArray(record.approvers))
      throw unreadable();
    const raw: unknown = JSON.parse(votesText);
    const votes = parseVotes(raw);
    const released = state === 'approved' && releaseText !== undefined;
    return freezeDeploy({
      ...record,
      votes,
      approvedBy: [],
      state,
      released,
      ...(released && {
        decision: parseStoredDecision(JSON.parse(releaseText.decision ?? 'null')) ?? fail(),
        approvals: parseVotes(JSON.parse(releaseText.approvals ?? 'null')),
      }),
    });
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError('unavailable', { detail: 'deploy record unreadable', cause });
  }
}

/** A stored vote list; cjson encodes an empty Lua table as {}, so that reads as empty. */
function parseVotes(raw: unknown): Vote[] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : isEmptyObject(raw) ? [] : fail();
  return list.map((v) => parseStoredVote(v) ?? fail());
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function fail(): never {
  throw unreadable();
}

function unreadable(): GatewayError {
  return new GatewayError('unavailable', { detail: 'deploy record unreadable' });
}
