import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import {
  describeWithRedis,
  sharedRedis,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/redis.js';

// The shared probe decides skip/fail; the outage itself uses a private redis-server.
const env = await sharedRedis('outage-e2e');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Acceptance for issue #6: kill Redis under load, then bring it back. */
describeWithRedis(env, 'a Redis-mode gateway when its Redis dies and comes back', () => {
  let redis: PrivateRedis;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    gateway = await startGateway({ env: { REDIS_URL: redis.url } });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
    if (gateway !== undefined) rmSync(gateway.dir, { recursive: true, force: true });
  });

  /** Keeps 8 signed requests in flight until `stop()`; collects every status and when it was sent. */
  function load() {
    const statuses: number[] = [];
    const sentAt: number[] = [];
    let running = true;
    const workers = Array.from({ length: 8 }, async () => {
      while (running) {
        const sent = performance.now();
        const res = await gateway.post('/v1/events');
        await res.arrayBuffer();
        statuses.push(res.status);
        sentAt.push(sent);
      }
    });
    return {
      statuses,
      /** Statuses of the requests sent after `t` (performance.now()). */
      sentAfter: (t: number) => statuses.filter((_, i) => (sentAt[i] as number) > t),
      stop: async () => {
        running = false;
        await Promise.all(workers);
      },
    };
  }

  it('answers 503 (never 200) while Redis is down and recovers without a restart', async () => {
    const before = load();
    await sleep(300);
    await before.stop();
    expect(before.statuses.length).toBeGreaterThan(0);
    expect(before.statuses.every((s) => s === 200)).toBe(true);

    const during = load();
    await sleep(100);
    await redis.stop();
    const killedAt = performance.now(); // redis-server has exited
    await sleep(1500);
    await during.stop();
    // Requests sent before the kill may have been admitted already and answer 200.
    const afterKill = during.sentAfter(killedAt);
    expect(afterKill.length).toBeGreaterThan(0);
    // The statuses that were not 503, so a failure says what was answered instead.
    expect(afterKill.filter((s) => s !== 503)).toEqual([]);
    expect(during.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toContain('admission');
    const problem = (await gateway.post('/v1/events')).headers.get('content-type');
    expect(problem).toContain('application/problem+json');

    await redis.restart();
    const restartedAt = Date.now();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await gateway.post('/v1/events')).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
    console.info(
      `[outage] ${afterKill.length} answers while down, all 503; ` +
        `first 200 ${Date.now() - restartedAt} ms after redis-server restarted`,
    );
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    expect(gateway.child.exitCode).toBeNull();
    // SIGTERM drains and closes the Redis connection: a clean exit.
    expect(await gateway.stop()).toBe(0);
  }, 60_000);

  it('starts without Redis, answers 503 and not ready, then serves once Redis is up', async () => {
    const late = await startPrivateRedis();
    await late.stop();
    const started = await startGateway({ env: { REDIS_URL: late.url } });
    try {
      expect(started.output.join('\n')).toContain('redis not reachable at start');
      expect((await started.post('/v1/events')).status).toBe(503);
      expect((await fetch(`${started.url}/readyz`)).status).toBe(503);
      await late.restart();
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await started.post('/v1/events')).status;
        if (status !== 200) await sleep(100);
      }
      expect(status).toBe(200);
    } finally {
      await started.stop();
      await late.stop();
      rmSync(started.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('warns at start when Redis may evict keys', async () => {
    const evicting = await startPrivateRedis({ extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
    const started = await startGateway({ env: { REDIS_URL: evicting.url } });
    try {
      const log = started.output.join('\n');
      expect(log).toContain('maxmemory-policy is not noeviction');
      expect(log).toContain('"maxmemoryPolicy":"allkeys-lru"');
    } finally {
      await started.stop();
      await evicting.stop();
      rmSync(started.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
