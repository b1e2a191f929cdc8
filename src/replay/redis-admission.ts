import type { Redis } from 'ioredis';
import { sha256Hex } from '../crypto/index.js';
import { GatewayError } from '../errors.js';
import { closeRedisClient, isRedisReady } from '../redis/connection.js';
import type { AdmissionRequest, AdmissionResult, AdmissionStore } from './admission.js';
import { RATE_BUCKET_MS, RATE_BUCKETS, assertRatePerMinute } from './rate-limit.js';
import { ADMIT_LUA } from './redis-admission-script.js';

/** Extra seconds a nonce is kept past its window: clock skew between instances, rounding. */
const DEFAULT_RETENTION_MARGIN_SECONDS = 30;

type AdmitScript = (
  rateKey: string,
  nonceKey: string,
  nowMs: number,
  limit: number,
  nonceTtlMs: number,
  bucketMs: number,
  buckets: number,
) => Promise<unknown>;

export interface RedisAdmissionStoreOptions {
  readonly redis: Redis;
  /** Key prefix (`REDIS_PREFIX`, default `codex:`); keys are `<prefix>nonce:…`, `<prefix>rate:…`. */
  readonly prefix: string;
  /** Timestamp tolerance of check 3, seconds. */
  readonly toleranceSeconds: number;
  readonly retentionMarginSeconds?: number;
}

/**
 * The shared AdmissionStore. Fails closed: when Redis is unreachable, slow (client
 * `commandTimeout`) or answers oddly, `admit` rejects with GatewayError `unavailable`
 * (503); it never admits without the check. Requires a Redis that does not evict keys
 * (`maxmemory-policy noeviction`): an evicted nonce key would make a replay possible.
 */
export class RedisAdmissionStore implements AdmissionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #toleranceMs: number;
  readonly #marginMs: number;
  readonly #admit: AdmitScript;

  constructor(options: RedisAdmissionStoreOptions) {
    if (!Number.isSafeInteger(options.toleranceSeconds) || options.toleranceSeconds < 0)
      throw new RangeError('toleranceSeconds must be a non-negative integer');
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#toleranceMs = options.toleranceSeconds * 1000;
    this.#marginMs = (options.retentionMarginSeconds ?? DEFAULT_RETENTION_MARGIN_SECONDS) * 1000;
    // defineCommand sends EVALSHA and falls back to EVAL after a restart flushed the cache.
    if (!('codexAdmit' in this.#redis))
      this.#redis.defineCommand('codexAdmit', { numberOfKeys: 2, lua: ADMIT_LUA });
    const command = (this.#redis as unknown as { codexAdmit: AdmitScript }).codexAdmit;
    this.#admit = command.bind(this.#redis);
  }

  /** Redis key of a nonce: prefix + "nonce:" + hex SHA-256 of `client\nnonce` (never in clear). */
  nonceKey(clientId: string, nonce: string): string {
    return `${this.#prefix}nonce:${sha256Hex(`${clientId}\n${nonce}`)}`;
  }

  /** Redis key of a client's rate window. */
  rateKey(clientId: string): string {
    return `${this.#prefix}rate:${clientId}`;
  }

  /**
   * Milliseconds to remember a nonce: the request's timestamp is accepted until
   * `timestamp + tolerance` (it may lie up to `tolerance` in the future), so keep it at
   * least that long from now, plus a margin.
   */
  nonceTtlMs(timestamp: number, nowMs: number): number {
    return Math.max(1000, Math.ceil(timestamp * 1000 + this.#toleranceMs - nowMs + this.#marginMs));
  }

  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    const limit = request.ratePerMinute;
    if (limit !== undefined) assertRatePerMinute(limit);
    let reply: unknown;
    try {
      reply = await this.#admit(
        this.rateKey(request.clientId),
        request.nonceSha256 === undefined
          ? this.nonceKey(request.clientId, request.nonce)
          : `${this.#prefix}nonce:${request.nonceSha256}`,
        Math.floor(request.nowMs),
        limit ?? 0,
        this.nonceTtlMs(request.timestamp, request.nowMs),
        RATE_BUCKET_MS,
        RATE_BUCKETS,
      );
    } catch (cause) {
      throw new GatewayError('unavailable', { detail: 'replay store unavailable', cause });
    }
    return interpret(reply);
  }

  async remember(nonceSha256: string, timestamp: number, nowMs: number): Promise<void> {
    const ttlMs = this.nonceTtlMs(timestamp, nowMs);
    try {
      await this.#redis.set(`${this.#prefix}nonce:${nonceSha256}`, '1', 'PX', ttlMs, 'NX');
    } catch (cause) {
      throw new GatewayError('unavailable', { detail: 'replay store unavailable', cause });
    }
  }

  ready(): Promise<boolean> {
    return isRedisReady(this.#redis);
  }

  close(): Promise<void> {
    return closeRedisClient(this.#redis);
  }
}

/** Maps the script's reply; anything unexpected fails closed. */
function interpret(reply: unknown): AdmissionResult {
  if (Array.isArray(reply)) {
    const [code, retryAfter] = reply as unknown[];
    if (code === 1) return { ok: true };
    if (code === 2) return { ok: false, code: 'replayed_nonce' };
    if (code === 0 && typeof retryAfter === 'number' && retryAfter >= 1)
      return { ok: false, code: 'rate_limited', retryAfterSeconds: retryAfter };
  }
  throw new GatewayError('unavailable', { detail: 'replay store gave an unexpected answer' });
}
