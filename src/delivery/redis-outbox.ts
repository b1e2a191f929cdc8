import type { Redis } from 'ioredis';
import { randomId } from '../crypto/index.js';
import {
  DELIVERY_STATES,
  DELIVERY_TYPES,
  type ClaimedDelivery,
  type DeliveryRecord,
  type DeliveryState,
  type NewDelivery,
  type Settlement,
} from './delivery.js';
import type { Outbox, OutboxStats, RetryOutcome } from './outbox.js';
import { CLAIM_LUA, ENQUEUE_LUA, RETRY_LUA, SETTLE_LUA } from './redis-outbox-scripts.js';

type Script = (...args: Array<string | number>) => Promise<unknown>;

export interface RedisOutboxOptions {
  readonly redis: Redis;
  /** Key prefix (`REDIS_PREFIX`); keys are `<prefix>dlv:…`. */
  readonly prefix: string;
  /**
   * A claim not settled within this long may be claimed by another instance (default
   * 30 000 ms). Must exceed the attempt timeout, so a live claimer has always finished
   * sending before its lease can pass to someone else.
   */
  readonly leaseMs?: number;
  /** Delivered records kept for listing (default 10 000). */
  readonly keepDelivered?: number;
}

/**
 * The shared Outbox (Redis mode): deliveries recorded by one instance are sent by whichever
 * instance claims them first; a claim is a lease (scripts in redis-outbox-scripts.ts), so
 * no two instances send one delivery at once, and a dead instance's claims pass to the
 * others when their leases expire. Durability is Redis's: an enqueue resolves once Redis
 * acknowledged it (with `appendonly yes` / `appendfsync always` that is on disk).
 */
export class RedisOutbox implements Outbox {
  readonly #redis: Redis;
  readonly #p: string;
  readonly #leaseMs: number;
  readonly #keep: number;
  readonly #enqueue: Script;
  readonly #claim: Script;
  readonly #settle: Script;
  readonly #retry: Script;

  constructor(options: RedisOutboxOptions) {
    this.#redis = options.redis;
    this.#p = `${options.prefix}dlv:`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#keep = options.keepDelivered ?? 10_000;
    const r = this.#redis as unknown as Record<string, Script | undefined>;
    const define = (name: string, lua: string): Script => {
      if (r[name] === undefined) this.#redis.defineCommand(name, { numberOfKeys: 0, lua });
      return (r[name] as Script).bind(this.#redis);
    };
    this.#enqueue = define('codexOutboxEnqueue', ENQUEUE_LUA);
    this.#claim = define('codexOutboxClaim', CLAIM_LUA);
    this.#settle = define('codexOutboxSettle', SETTLE_LUA);
    this.#retry = define('codexOutboxRetry', RETRY_LUA);
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const args: Array<string | number> = [this.#p];
    for (const d of deliveries)
      args.push(d.id, d.target, d.type, d.decision, d.body, d.createdAtMs);
    await this.#enqueue(...args);
  }

  async claim(
    _nowMs: number,
    limits: ReadonlyMap<string, number>,
    max: number,
    untriedLimits?: ReadonlyMap<string, number>,
  ): Promise<ClaimedDelivery[]> {
    if (limits.size === 0 || max < 1) return [];
    const args: Array<string | number> = [this.#p, this.#leaseMs, randomId(), max];
    for (const [target, limit] of limits)
      args.push(target, limit, untriedLimits?.get(target) ?? limit);
    const reply = await this.#claim(...args);
    if (!Array.isArray(reply)) throw new Error('outbox claim: unexpected reply');
    return reply.map((row) => decodeClaim(row));
  }

  async settle(claim: ClaimedDelivery, result: Settlement, nowMs: number): Promise<boolean> {
    const reply = await this.#settle(
      this.#p,
      claim.id,
      claim.lease,
      result.state,
      result.attempts,
      result.status ?? '',
      result.state === 'pending' ? result.nextAttemptAtMs : '',
      nowMs,
      this.#keep,
    );
    return reply === 1;
  }

  async list(state: DeliveryState, limit: number): Promise<DeliveryRecord[]> {
    const key = `${this.#p}${state}`;
    const ids =
      state === 'pending'
        ? await this.#redis.zrange(key, '0', String(limit - 1))
        : await this.#redis.zrevrange(key, '0', String(limit - 1));
    if (ids.length === 0) return [];
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hmget(`${this.#p}d:${id}`, ...FIELDS);
    const rows = (await pipe.exec()) ?? [];
    const out: DeliveryRecord[] = [];
    for (const [err, row] of rows) {
      if (err !== null || !Array.isArray(row) || row[0] === null) continue; // trimmed meanwhile
      out.push(decodeRecord(row as Array<string | null>));
    }
    return out;
  }

  async retry(id: string, nowMs: number): Promise<RetryOutcome> {
    const reply = await this.#retry(this.#p, id, nowMs);
    if (reply !== 'retried' && reply !== 'unknown_delivery' && reply !== 'delivery_not_dead')
      throw new Error('outbox retry: unexpected reply');
    return reply;
  }

  async stats(): Promise<OutboxStats> {
    const [count, oldest] = await Promise.all([
      this.#redis.zcard(`${this.#p}pending`),
      this.#redis.zrange(`${this.#p}pending`, '0', '0', 'WITHSCORES'),
    ]);
    return { pending: count, oldestPendingMs: oldest[1] === undefined ? null : Number(oldest[1]) };
  }

  async ready(): Promise<boolean> {
    if (this.#redis.status !== 'ready') return false;
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** The connection belongs to whoever passed it in (it is shared with the other stores). */
  async close(): Promise<void> {}
}

const FIELDS = [
  'id',
  'target',
  'type',
  'decision',
  'created',
  'window',
  'state',
  'attempts',
  'status',
  'next',
] as const;

function num(v: unknown, what: string): number {
  const n = Number(v);
  if (typeof v !== 'string' || v === '' || !Number.isSafeInteger(n))
    throw new Error(`outbox record: bad ${what}`);
  return n;
}

function optNum(v: unknown, what: string): number | null {
  return v === '' || v === null || v === undefined ? null : num(v, what);
}

function type(v: unknown): NewDelivery['type'] {
  if (!DELIVERY_TYPES.includes(v as NewDelivery['type']))
    throw new Error('outbox record: bad type');
  return v as NewDelivery['type'];
}

function decodeRecord(row: Array<string | null>): DeliveryRecord {
  const [id, target, t, decision, created, window, state, attempts, status, next] = row;
  if (!DELIVERY_STATES.includes(state as DeliveryState))
    throw new Error('outbox record: bad state');
  return {
    id: String(id),
    target: String(target),
    type: type(t),
    decision: String(decision),
    body: '',
    createdAtMs: num(created, 'created'),
    state: state as DeliveryState,
    attempts: num(attempts, 'attempts'),
    lastStatus: optNum(status, 'status'),
    nextAttemptAtMs: optNum(next, 'next'),
    windowStartMs: num(window, 'window'),
  };
}

function decodeClaim(row: unknown): ClaimedDelivery {
  if (!Array.isArray(row) || row.length !== 11) throw new Error('outbox claim: unexpected row');
  const [id, target, t, decision, body, created, window, attempts, status, next, lease] =
    row as string[];
  return {
    id: String(id),
    target: String(target),
    type: type(t),
    decision: String(decision),
    body: String(body),
    createdAtMs: num(created, 'created'),
    state: 'pending',
    attempts: num(attempts, 'attempts'),
    lastStatus: optNum(status, 'status'),
    nextAttemptAtMs: optNum(next, 'next'),
    windowStartMs: num(window, 'window'),
    lease: String(lease),
  };
}
