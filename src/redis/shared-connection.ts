import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisClient, waitForRedis } from './connection.js';

export interface SharedRedisOptions {
  readonly url: string;
  readonly logger: Logger;
  /** How long start-up waits for a first connection before serving 503s (default 3000 ms). */
  readonly startupWaitMs?: number;
}

/** Only this eviction policy guarantees Redis never drops a nonce or a pending deploy. */
const SAFE_EVICTION_POLICY = 'noeviction';

/**
 * Opens the one connection every Redis adapter shares (compose.ts builds the adapters on
 * it when `REDIS_URL` is set), with rate-limited error logging. Never throws for an
 * unreachable Redis: the gateway starts, `/readyz` says not ready, every request needing
 * the stores gets 503, and it recovers by itself once Redis answers.
 */
export async function openSharedRedis(options: SharedRedisOptions): Promise<Redis> {
  const { logger } = options;
  let lastErrorLogMs = 0;
  const redis = createRedisClient({
    url: options.url,
    connectionName: 'codex-gateway',
    onError: (error) => {
      // Reconnect attempts repeat every couple of seconds: log at most one line per 10 s.
      const now = Date.now();
      if (now - lastErrorLogMs < 10_000) return;
      lastErrorLogMs = now;
      logger.warn({ err: { message: error.message } }, 'redis unavailable; answering 503');
    },
  });
  let everReady = false;
  redis.on('ready', () => {
    if (everReady) logger.info('redis reconnected');
    everReady = true;
    lastErrorLogMs = 0;
  });
  if (await waitForRedis(redis, options.startupWaitMs ?? 3000)) {
    await warnIfEvicting(redis, logger);
  } else {
    logger.warn('redis not reachable at start; serving 503 until it is');
  }
  return redis;
}

/** Logs a warning when Redis may evict keys (a dropped nonce key would allow a replay). */
async function warnIfEvicting(redis: Redis, logger: Logger): Promise<void> {
  try {
    const info = await redis.info('memory');
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    if (policy !== undefined && policy !== SAFE_EVICTION_POLICY)
      logger.warn(
        { maxmemoryPolicy: policy },
        'redis maxmemory-policy is not noeviction: evicted nonce keys would allow replays',
      );
  } catch {
    // INFO may be disabled on managed services; the README states the requirement.
  }
}
