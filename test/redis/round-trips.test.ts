import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/index.js';
import { RedisAdmissionStore } from '../../src/replay/redis-admission.js';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import {
  describeWithRedis,
  sharedRedis,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/redis.js';

// The shared probe decides skip/fail; counting commands needs a server nobody else uses.
const env = await sharedRedis('round-trips');

/** Total `calls=` over every command in `INFO commandstats`, per command. */
async function commandCalls(operator: Redis): Promise<Map<string, number>> {
  const info = await operator.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(m[1] ?? '', Number(m[2]));
  return calls;
}

describeWithRedis(env, 'RedisAdmissionStore round trips (private redis-server)', () => {
  let server: PrivateRedis;
  let operator: Redis;
  let store: RedisAdmissionStore;
  beforeAll(async () => {
    server = await startPrivateRedis();
    operator = new Redis(server.url);
    const redis = createRedisClient({ url: server.url });
    expect(await waitForRedis(redis, 5000)).toBe(true);
    store = new RedisAdmissionStore({ redis, prefix: 'rt:', toleranceSeconds: 300 });
  });
  afterAll(async () => {
    await store?.close();
    operator?.disconnect();
    await server?.stop();
  });

  it('checks the rate and claims the nonce with one command per request', async () => {
    const admit = () => {
      const nowMs = Date.now();
      return store.admit({
        clientId: 'ci',
        nonce: randomId(),
        timestamp: Math.floor(nowMs / 1000),
        nowMs,
        ratePerMinute: 1000,
      });
    };
    await admit(); // loads the script on this connection (EVAL once, then EVALSHA)
    const before = await commandCalls(operator);
    for (let i = 0; i < 50; i++) expect(await admit()).toEqual({ ok: true });
    const after = await commandCalls(operator);
    const delta = new Map(
      [...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const),
    );
    // commandstats also counts the commands a script runs: exactly the script's own, and
    // nothing else reached Redis (besides the operator's INFO).
    expect(delta.get('evalsha')).toBe(50);
    const others = [...delta]
      .filter(([name, n]) => n > 0 && name !== 'evalsha' && name !== 'info')
      .sort(([x], [y]) => x.localeCompare(y));
    expect(others).toEqual([
      ['hgetall', 50],
      ['hincrby', 50],
      ['pexpire', 50],
      ['set', 50],
    ]);
  });
});
