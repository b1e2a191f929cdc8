import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/index.js';
import { RedisAdmissionStore } from '../../src/replay/redis-admission.js';
import {
  closeRedisClient,
  createRedisClient,
  isRedisReady,
  redisOptionsFromUrl,
  waitForRedis,
} from '../../src/redis/connection.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import {
  describeWithRedis,
  sharedRedis,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/redis.js';

const SECRET = 'pa:ss/w0rd-not-to-be-echoed';

describe('redisOptionsFromUrl', () => {
  it('takes host, port, user, password and database from the URL', () => {
    expect(
      redisOptionsFromUrl(`redis://app:${encodeURIComponent(SECRET)}@cache.internal:6380/2`),
    ).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'app',
      password: SECRET,
      db: 2,
    });
    expect(redisOptionsFromUrl('redis://:pw@127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      password: 'pw',
    });
  });

  it('turns on verified TLS for rediss://', () => {
    expect(redisOptionsFromUrl('rediss://cache.example:6380')).toEqual({
      host: 'cache.example',
      port: 6380,
      tls: {},
    });
  });

  it('refuses other schemes, query options and bad databases without echoing the URL', () => {
    for (const url of [
      `http://:${SECRET}@x`,
      `redis://:${SECRET}@x/?commandTimeout=0`,
      `redis://:${SECRET}@x/abc`,
      `not a url ${SECRET}`,
    ]) {
      expect(() => redisOptionsFromUrl(url)).toThrow(TypeError);
      try {
        redisOptionsFromUrl(url);
      } catch (error) {
        expect(String((error as Error).message)).not.toContain(SECRET);
      }
    }
  });
});

const env = await sharedRedis('redis-connection');

describeWithRedis(env, 'createRedisClient against private servers', () => {
  let secured: PrivateRedis;
  beforeAll(async () => {
    secured = await startPrivateRedis({ tls: true, password: SECRET });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('refuses a server certificate it does not trust (stays not ready, admit fails closed)', async () => {
    const errors: string[] = [];
    const client = createRedisClient({ url: secured.url, onError: (e) => errors.push(e.message) });
    try {
      expect(await waitForRedis(client, 1500)).toBe(false);
      expect(await isRedisReady(client)).toBe(false);
      const store = new RedisAdmissionStore({ redis: client, prefix: 'x:', toleranceSeconds: 300 });
      const now = Date.now();
      await expect(
        store.admit({
          clientId: 'c',
          nonce: randomId(),
          timestamp: Math.floor(now / 1000),
          nowMs: now,
          ratePerMinute: undefined,
        }),
      ).rejects.toMatchObject({ code: 'unavailable' });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.join('\n')).not.toContain(SECRET);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('never becomes ready with a wrong password, and never logs the password', async () => {
    const plain = await startPrivateRedis({ password: SECRET });
    const errors: string[] = [];
    const wrong = plain.url.replace(encodeURIComponent(SECRET), 'wrong-password');
    const client = createRedisClient({ url: wrong, onError: (e) => errors.push(e.message) });
    try {
      expect(await waitForRedis(client, 1000)).toBe(false);
      expect(errors.join('\n')).not.toContain(SECRET);
      const good = createRedisClient({ url: plain.url });
      expect(await waitForRedis(good, 3000)).toBe(true);
      expect(await isRedisReady(good)).toBe(true);
      await closeRedisClient(good);
    } finally {
      await closeRedisClient(client);
      await plain.stop();
    }
  });

  describe('a gateway process on rediss:// with a password (CA via NODE_EXTRA_CA_CERTS)', () => {
    let gateway: GatewayProcess;
    beforeAll(async () => {
      gateway = await startGateway({
        env: { REDIS_URL: secured.url, NODE_EXTRA_CA_CERTS: secured.caFile ?? '' },
      });
    }, 60_000);
    afterAll(async () => {
      await gateway?.stop();
      if (gateway !== undefined) rmSync(gateway.dir, { recursive: true, force: true });
    });

    it('serves signed requests through TLS and reports ready', async () => {
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      expect((await gateway.post('/v1/events')).status).toBe(200);
      await gateway.logged();
      expect(gateway.output.join('\n')).not.toContain(SECRET);
    });
  });
});
