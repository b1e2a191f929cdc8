import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/index.js';
import { GatewayError } from '../../src/errors.js';
import { RedisPendingDeployStore } from '../../src/quorum/redis-pending-deploy-store.js';
import type { AdmissionRequest } from '../../src/replay/admission.js';
import { RedisAdmissionStore } from '../../src/replay/redis-admission.js';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import {
  describeWithRedis,
  sharedRedis,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/redis.js';

// The shared probe decides skip/fail; the outage itself uses a private redis-server.
const env = await sharedRedis('redis-outage');

describeWithRedis(env, 'Redis stores during an outage (private redis-server)', () => {
  let server: PrivateRedis;
  let admission: RedisAdmissionStore;
  let deploys: RedisPendingDeployStore;
  beforeAll(async () => {
    server = await startPrivateRedis();
    const redis = createRedisClient({ url: server.url, maxReconnectDelayMs: 200 });
    expect(await waitForRedis(redis, 5000)).toBe(true);
    admission = new RedisAdmissionStore({ redis, prefix: 'outage:', toleranceSeconds: 300 });
    deploys = new RedisPendingDeployStore({ redis, prefix: 'outage:', clock: { nowMs: Date.now } });
  });
  afterAll(async () => {
    await admission?.close();
    await server?.stop();
  });

  const request = (): AdmissionRequest => {
    const nowMs = Date.now();
    return {
      clientId: 'ci',
      nonce: randomId(),
      timestamp: Math.floor(nowMs / 1000),
      nowMs,
      ratePerMinute: 600,
    };
  };

  it('rejects with unavailable (never admits) while Redis is down, then recovers', async () => {
    expect(await admission.admit(request())).toEqual({ ok: true });
    await server.stop();

    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const outcome = await admission.admit(request()).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).toEqual({ error: expect.any(GatewayError) });
      expect((outcome as { error: GatewayError }).error.code).toBe('unavailable');
      // Fails fast (no offline queue) rather than hanging the request.
      expect(Date.now() - started).toBeLessThan(1000);
    }
    expect(await admission.ready()).toBe(false);
    expect(await deploys.ready()).toBe(false);
    await expect(deploys.get('f'.repeat(32))).rejects.toMatchObject({ code: 'unavailable' });

    await server.restart();
    const deadline = Date.now() + 5000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      recovered = await admission.admit(request()).then(
        (r) => r.ok,
        () => false,
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    expect(await admission.ready()).toBe(true);
  });

  it('rejects within the command timeout when Redis is slow, then works again', async () => {
    const operator = new Redis(server.url);
    try {
      // The server stops answering clients for 1.5 s: a slow Redis, connection still open.
      await operator.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = Date.now();
      await expect(admission.admit(request())).rejects.toMatchObject({ code: 'unavailable' });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(200);
      expect(elapsed).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 1600));
      expect(await admission.admit(request())).toEqual({ ok: true });
    } finally {
      operator.disconnect();
    }
  });
});
