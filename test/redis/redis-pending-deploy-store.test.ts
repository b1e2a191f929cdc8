import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import type { PendingDeploy } from '../../src/quorum/pending-deploy.js';
import { RedisPendingDeployStore } from '../../src/quorum/redis-pending-deploy-store.js';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { deployEvent, requestDigest } from '../quorum/fixtures.js';

const env = await sharedRedis('redis-pending-deploy');
const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 60 };
const quorum = { threshold: 2, approvers: rule.approvers };

describeWithRedis(env, 'RedisPendingDeployStore (shared Redis)', () => {
  let now = Date.now();
  const clock = { nowMs: () => now };
  // Two connections stand for two gateway instances sharing one Redis.
  let a: RedisPendingDeployStore;
  let b: RedisPendingDeployStore;
  beforeAll(async () => {
    const [ra, rb] = [createRedisClient({ url: env.url }), createRedisClient({ url: env.url })];
    expect(await waitForRedis(ra, 5000)).toBe(true);
    expect(await waitForRedis(rb, 5000)).toBe(true);
    a = new RedisPendingDeployStore({ redis: ra, prefix: env.prefix, clock, retainSeconds: 10 });
    b = new RedisPendingDeployStore({ redis: rb, prefix: env.prefix, clock, retainSeconds: 10 });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const make = (over: Partial<typeof rule> = {}): PendingDeploy =>
    openPendingDeploy({
      decisionId: 'd-1',
      clientId: 'ci',
      event: deployEvent,
      requestDigest,
      policyRevision: `sha256:${'00'.repeat(32)}`,
      rule: { ...rule, ...over },
      nowMs: now,
    });

  it('stores a deploy that every instance reads back identically', async () => {
    const deploy = make();
    await a.create(deploy);
    expect(await b.get(deploy.id)).toEqual(deploy);
    expect(await a.get('f'.repeat(32))).toBeUndefined();
  });

  it('gives the key a TTL reaching past expiresAt by the retention', async () => {
    const deploy = make();
    await a.create(deploy);
    const ttl = await env.client().pttl(a.deployKey(deploy.id));
    const expected = (deploy.expiresAt + 10) * 1000 - now;
    expect(ttl).toBeGreaterThan(expected - 2000);
    expect(ttl).toBeLessThanOrEqual(expected);
  });

  it('marks an approved deploy released for every instance, and nothing else', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.markReleased(deploy.id); // still pending: no-op
    expect((await b.get(deploy.id))?.released).toBe(false);
    await a.recordApproval(deploy.id, 'alice', now, quorum);
    await b.recordApproval(deploy.id, 'bob', now, quorum);
    expect(await b.get(deploy.id)).toMatchObject({ state: 'approved', released: false });
    await a.markReleased(deploy.id);
    expect(await b.get(deploy.id)).toMatchObject({ state: 'approved', released: true });
    // A gone deploy is never recreated by the mark.
    await a.markReleased('e'.repeat(32));
    expect(await env.client().exists(a.deployKey('e'.repeat(32)))).toBe(0);
  });

  it('approves once through A and once through B: approved on both', async () => {
    const deploy = make();
    await a.create(deploy);
    expect(await a.recordApproval(deploy.id, 'alice', now, quorum)).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'pending', approvedBy: ['alice'] },
    });
    expect(await b.recordApproval(deploy.id, 'alice', now, quorum)).toEqual({
      outcome: 'already_approved',
    });
    const second = await b.recordApproval(deploy.id, 'bob', now, quorum);
    expect(second).toEqual({
      outcome: 'recorded',
      deploy: { ...deploy, approvedBy: ['alice', 'bob'], state: 'approved' },
    });
    expect(await a.recordApproval(deploy.id, 'carol', now, quorum)).toEqual({
      outcome: 'deploy_closed',
    });
    expect((await a.get(deploy.id))?.state).toBe('approved');
    expect((await b.get(deploy.id))?.approvedBy).toEqual(['alice', 'bob']);
  });

  it('never double counts or loses concurrent approvals arriving at both instances', async () => {
    for (let round = 0; round < 10; round++) {
      const deploy = make({ threshold: 3 });
      await a.create(deploy);
      const q3 = { threshold: 3, approvers: rule.approvers };
      const calls = rule.approvers.flatMap((name) =>
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? a : b).recordApproval(deploy.id, name, now, q3),
        ),
      );
      const results = await Promise.all(calls);
      expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(3);
      const refused = results.filter(
        (r) => r.outcome === 'already_approved' || r.outcome === 'deploy_closed',
      );
      expect(refused).toHaveLength(27);
      const final = await b.get(deploy.id);
      expect(final?.state).toBe('approved');
      expect([...(final?.approvedBy ?? [])].sort()).toEqual(['alice', 'bob', 'carol']);
    }
  });

  it('closes after the threshold even when more approvers race for it', async () => {
    const deploy = make();
    await a.create(deploy);
    const results = await Promise.all(
      rule.approvers.flatMap((name) => [
        a.recordApproval(deploy.id, name, now, quorum),
        b.recordApproval(deploy.id, name, now, quorum),
      ]),
    );
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(2);
    expect((await a.get(deploy.id))?.approvedBy).toHaveLength(2);
  });

  it('does not count an approver the current quorum no longer lists', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.recordApproval(deploy.id, 'alice', now, quorum);
    const reloaded = { threshold: 2, approvers: ['bob', 'carol'] };
    const r = await b.recordApproval(deploy.id, 'bob', now, reloaded);
    expect(r).toMatchObject({ outcome: 'recorded', deploy: { state: 'pending' } });
    const r2 = await b.recordApproval(deploy.id, 'carol', now, reloaded);
    expect(r2).toMatchObject({ outcome: 'recorded', deploy: { state: 'approved' } });
  });

  it('refuses approvals after expiresAt and forgets the deploy after the retention', async () => {
    const deploy = make();
    await a.create(deploy);
    const expiry = deploy.expiresAt * 1000;
    expect((await a.recordApproval(deploy.id, 'alice', expiry, quorum)).outcome).toBe('recorded');
    expect(await b.recordApproval(deploy.id, 'bob', expiry + 1, quorum)).toEqual({
      outcome: 'deploy_expired',
    });
    now = expiry + 10_001;
    try {
      expect(await a.get(deploy.id)).toBeUndefined();
      expect(await a.recordApproval(deploy.id, 'bob', now, quorum)).toEqual({
        outcome: 'unknown_deploy',
      });
    } finally {
      now = Date.now();
    }
  });

  it('keeps approver names exactly, whatever their characters', async () => {
    const names = ['zoë/ops', 'a "quoted" \\ name'];
    const deploy = make({ approvers: names, threshold: 2 });
    await a.create(deploy);
    const q = { threshold: 2, approvers: names };
    await a.recordApproval(deploy.id, names[0] ?? '', now, q);
    const r = await b.recordApproval(deploy.id, names[1] ?? '', now, q);
    expect(r).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'approved', approvedBy: names },
    });
  });

  it('refuses a duplicate id', async () => {
    const deploy = make();
    await a.create(deploy);
    await expect(b.create(deploy)).rejects.toThrow(RangeError);
  });

  it('fails closed on a record it cannot read', async () => {
    const deploy = make();
    await a.create(deploy);
    await env.client().hset(a.deployKey(deploy.id), 'state', 'hacked');
    await expect(b.get(deploy.id)).rejects.toBeInstanceOf(GatewayError);
  });
});
