/**
 * A redis-server of the bench's own for the Redis-mode gateway, pinned to the load
 * generator's cores, on a free port, keeping nothing on disk.
 *
 * Why: the machine's shared Redis runs wherever the scheduler puts it. While a Redis-mode
 * load ran (the gateway pinned to core 1, the driver on core 0), the shared redis-server
 * was seen on core 1 in 51 of 80 samples of `/proc/<pid>/stat`, so the Redis-mode gateway
 * shared its one core with Redis and its ratio to the echo counted Redis's CPU as well as
 * its own (bench/README.md). In production Redis runs on other cores or hosts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starts `redis-server` on `port`, under `taskset -c <cpus>` when `cpus` is given, and
 * resolves once it answers PING: `{ url, stop() }`. Resolves undefined when there is
 * no `redis-server` binary or it did not answer within 5 s (the caller then uses REDIS_URL).
 */
export async function startPrivateRedis(port, cpus) {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  const child =
    cpus === undefined
      ? spawn('redis-server', args, { stdio: 'ignore' })
      : spawn('taskset', ['-c', cpus, 'redis-server', ...args], { stdio: 'ignore' });
  // A bench that fails half-way must not leave its redis-server running (taskset execs it).
  process.once('exit', () => child.kill('SIGTERM'));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return undefined;
    if (await redisAnswers(url)) return { url, stop };
    await sleep(50);
  }
  await stop();
  return undefined;
}

/** True when the Redis at `url` answers PING (a 1 s connect timeout, no retries). */
export async function redisAnswers(url) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {}); // unreachable is an answer here, not an unhandled event
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Deletes only the keys under `prefix` at `url` (SCAN + DEL, never KEYS or FLUSH*, so a
 * shared Redis keeps everyone else's data); resolves how many were deleted.
 */
export async function deleteRedisPrefix(url, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
