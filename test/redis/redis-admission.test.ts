import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/index.js';
import type { AdmissionRequest, AdmissionResult } from '../../src/replay/admission.js';
import { MemoryRateLimiter } from '../../src/replay/memory-rate-limiter.js';
import { RedisAdmissionStore } from '../../src/replay/redis-admission.js';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';

const env = await sharedRedis('redis-admission');
const TOLERANCE = 300;

describeWithRedis(env, 'RedisAdmissionStore (shared Redis)', () => {
  // Two separate connections stand for two gateway instances.
  let a: RedisAdmissionStore;
  let b: RedisAdmissionStore;
  beforeAll(async () => {
    // The gateway's 250 ms command timeout is for production; 400 commands at once on a
    // test machine shared by many processes can wait longer without anything being wrong.
    const connect = () => createRedisClient({ url: env.url, commandTimeoutMs: 5_000 });
    const [ra, rb] = [connect(), connect()];
    expect(await waitForRedis(ra, 5000)).toBe(true);
    expect(await waitForRedis(rb, 5000)).toBe(true);
    a = new RedisAdmissionStore({ redis: ra, prefix: env.prefix, toleranceSeconds: TOLERANCE });
    b = new RedisAdmissionStore({ redis: rb, prefix: env.prefix, toleranceSeconds: TOLERANCE });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const request = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => {
    const nowMs = Date.now();
    return {
      clientId: 'ci-main',
      nonce: randomId(),
      timestamp: Math.floor(nowMs / 1000),
      nowMs,
      ratePerMinute: undefined,
      ...over,
    };
  };

  it('accepts a fresh nonce and refuses the same nonce for the same client', async () => {
    const req = request();
    expect(await a.admit(req)).toEqual({ ok: true });
    expect(await b.admit(req)).toEqual({ ok: false, code: 'replayed_nonce' });
    expect(await b.admit({ ...req, clientId: 'other' })).toEqual({ ok: true });
  });

  it('claims each of 200 nonces exactly once when both instances race for all of them', async () => {
    const requests = Array.from({ length: 200 }, () => request());
    const results = await Promise.all(requests.flatMap((req) => [a.admit(req), b.admit(req)]));
    for (let i = 0; i < requests.length; i++) {
      const pair = [results[2 * i], results[2 * i + 1]];
      expect(pair.filter((r) => r?.ok === true)).toHaveLength(1);
      expect(pair.filter((r) => r?.ok === false && r.code === 'replayed_nonce')).toHaveLength(1);
    }
  });

  it('stores only the SHA-256 of client\\nnonce, expiring after the whole window', async () => {
    const req = request({ nonce: 'nonce-in-clear-abcdef' });
    const now = req.nowMs;
    const future = { ...req, timestamp: Math.floor(now / 1000) + TOLERANCE };
    expect(await a.admit(future)).toEqual({ ok: true });
    const redis = env.client();
    const key = a.nonceKey(req.clientId, req.nonce);
    expect(key).toMatch(new RegExp(`^${env.prefix}nonce:[0-9a-f]{64}$`));
    const ttl = await redis.pttl(key);
    // A timestamp `tolerance` in the future is acceptable until now + 2 × tolerance.
    expect(ttl).toBeGreaterThan(2 * TOLERANCE * 1000 - 5_000);
    const keys = await redis.scan('0', 'MATCH', `${env.prefix}*`, 'COUNT', 10_000);
    expect(keys[1].join('\n')).not.toContain('nonce-in-clear');
  });

  it('enforces ratePerMinute across both instances, with Retry-After', async () => {
    const clientId = `rate-${randomId()}`;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? a : b).admit(request({ clientId, ratePerMinute: 60 })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(60);
    const limited = results.filter(
      (r): r is Extract<AdmissionResult, { code: 'rate_limited' }> =>
        !r.ok && r.code === 'rate_limited',
    );
    expect(limited).toHaveLength(140);
    for (const r of limited) {
      expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(61);
    }
  });

  it('checks the rate before the nonce (docs/protocol.md §2 order 5 then 6)', async () => {
    const clientId = `order-${randomId()}`;
    const first = request({ clientId, ratePerMinute: 1 });
    expect(await a.admit(first)).toEqual({ ok: true });
    const replay = await b.admit({ ...first, nowMs: Date.now() });
    expect(replay).toMatchObject({ ok: false, code: 'rate_limited' });
  });

  it('decides exactly like the in-memory limiter on the same request times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 25 }),
        async (limit, gaps) => {
          const clientId = `parity-${randomId()}`;
          const memory = new MemoryRateLimiter();
          let now = 1_795_000_000_000 + (gaps[0] ?? 0);
          for (const gap of gaps) {
            now += gap;
            const expected = memory.take(clientId, limit, now);
            const got = await a.admit(
              request({ clientId, ratePerMinute: limit, nowMs: now, timestamp: now / 1000 }),
            );
            if (expected.ok) expect(got).toEqual({ ok: true });
            else
              expect(got).toEqual({
                ok: false,
                code: 'rate_limited',
                retryAfterSeconds: expected.retryAfterSeconds,
              });
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reports ready', async () => {
    expect(await a.ready()).toBe(true);
  });
});
