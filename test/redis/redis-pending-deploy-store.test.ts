import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import type { PendingDeploy } from '../../src/quorum/pending-deploy.js';
import { RedisPendingDeployStore } from '../../src/quorum/redis-pending-deploy-store.js';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import {
  deployEvent,
  fakeKey,
  quorumOf,
  requestDigest,
  testClaim,
  testVote,
} from '../quorum/fixtures.js';

const env = await sharedRedis('redis-pending-deploy');
const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 60 };
const quorum = quorumOf(2, rule.approvers);

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

  const release = { decision: { index: 7, leafHash: 'cd'.repeat(32) }, approvals: [] };

  it('marks an approved deploy released for every instance, and nothing else', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.completeRelease(deploy.id, 'x', release); // still pending: no-op
    expect((await b.get(deploy.id))?.released).toBe(false);
    await a.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now));
    const claim = testClaim(now);
    await b.recordApproval(deploy.id, testVote('bob'), now, quorum, claim);
    expect(await b.get(deploy.id)).toMatchObject({ state: 'approved', released: false });
    const approvals = [testVote('alice'), testVote('bob')];
    await a.completeRelease(deploy.id, claim.token, { ...release, approvals });
    expect(await b.get(deploy.id)).toMatchObject({
      state: 'approved',
      released: true,
      decision: release.decision,
      approvals,
    });
    // A gone deploy is never recreated by the mark.
    await a.completeRelease('e'.repeat(32), 'x', release);
    expect(await env.client().exists(a.deployKey('e'.repeat(32)))).toBe(0);
  });

  it('hands the release claim to exactly one caller across instances (docs/protocol.md §16)', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now));
    const first = testClaim(now);
    const done = await b.recordApproval(deploy.id, testVote('bob'), now, quorum, first);
    expect(done).toMatchObject({ outcome: 'recorded', releaseClaimed: true });
    // The approving vote holds the claim: nobody else gets it while it lives.
    const racers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).claimRelease(deploy.id, testClaim(now), now),
      ),
    );
    expect(new Set(racers)).toEqual(new Set(['held']));
    // Its holder fails and abandons: exactly one racer gets it next.
    await a.abandonRelease(deploy.id, 'not-the-token'); // a stranger cannot drop it
    expect(await a.claimRelease(deploy.id, testClaim(now), now)).toBe('held');
    await b.abandonRelease(deploy.id, first.token);
    const next = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).claimRelease(deploy.id, testClaim(now), now),
      ),
    );
    expect(next.filter((o) => o === 'claimed')).toHaveLength(1);
    // A claim whose holder died lapses.
    expect(await a.claimRelease(deploy.id, testClaim(now + 60_001), now + 60_001)).toBe('claimed');
    await a.completeRelease(deploy.id, 'whoever', release);
    expect(await b.claimRelease(deploy.id, testClaim(now), now)).toBe('released');
    // A pending deploy cannot be claimed.
    const other = make();
    await a.create(other);
    expect(await b.claimRelease(other.id, testClaim(now), now)).toBe('not_approved');
    expect(await b.claimRelease('e'.repeat(32), testClaim(now), now)).toBe('not_approved');
  });

  it('stops counting a vote whose key the current policy rotated out (docs/protocol.md §12)', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now));
    const rotated = quorumOf(2, rule.approvers, { alice: fakeKey('alice', 2) });
    const bob = await b.recordApproval(deploy.id, testVote('bob'), now, rotated, testClaim(now));
    expect(bob).toMatchObject({
      outcome: 'recorded',
      releaseClaimed: false,
      deploy: { state: 'pending' },
    });
    // alice votes again with her new key: a new vote, and now it counts.
    const again = await a.recordApproval(
      deploy.id,
      testVote('alice', fakeKey('alice', 2)),
      now,
      rotated,
      testClaim(now),
    );
    expect(again).toMatchObject({
      outcome: 'recorded',
      releaseClaimed: true,
      deploy: { state: 'approved', approvedBy: ['alice', 'bob'] },
    });
    expect((await b.get(deploy.id))?.votes).toEqual([
      testVote('alice'),
      testVote('bob'),
      testVote('alice', fakeKey('alice', 2)),
    ]);
  });

  it('approves once through A and once through B: approved on both', async () => {
    const deploy = make();
    await a.create(deploy);
    expect(
      await a.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now)),
    ).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'pending', approvedBy: ['alice'] },
    });
    expect(
      await b.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now)),
    ).toEqual({
      outcome: 'already_approved',
    });
    const second = await b.recordApproval(deploy.id, testVote('bob'), now, quorum, testClaim(now));
    expect(second).toEqual({
      outcome: 'recorded',
      releaseClaimed: true,
      deploy: {
        ...deploy,
        votes: [testVote('alice'), testVote('bob')],
        approvedBy: ['alice', 'bob'],
        state: 'approved',
      },
    });
    expect(
      await a.recordApproval(deploy.id, testVote('carol'), now, quorum, testClaim(now)),
    ).toEqual({
      outcome: 'deploy_closed',
    });
    expect((await a.get(deploy.id))?.state).toBe('approved');
    expect((await b.get(deploy.id))?.approvedBy).toEqual(['alice', 'bob']);
  });

  it('never double counts or loses concurrent approvals arriving at both instances', async () => {
    for (let round = 0; round < 10; round++) {
      const deploy = make({ threshold: 3 });
      await a.create(deploy);
      const q3 = quorumOf(3, rule.approvers);
      const calls = rule.approvers.flatMap((name) =>
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? a : b).recordApproval(deploy.id, testVote(name), now, q3, testClaim(now)),
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
        a.recordApproval(deploy.id, testVote(name), now, quorum, testClaim(now)),
        b.recordApproval(deploy.id, testVote(name), now, quorum, testClaim(now)),
      ]),
    );
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(2);
    expect((await a.get(deploy.id))?.approvedBy).toHaveLength(2);
  });

  it('does not count an approver the current quorum no longer lists', async () => {
    const deploy = make();
    await a.create(deploy);
    await a.recordApproval(deploy.id, testVote('alice'), now, quorum, testClaim(now));
    const reloaded = quorumOf(2, ['bob', 'carol']);
    const r = await b.recordApproval(deploy.id, testVote('bob'), now, reloaded, testClaim(now));
    expect(r).toMatchObject({ outcome: 'recorded', deploy: { state: 'pending' } });
    const r2 = await b.recordApproval(deploy.id, testVote('carol'), now, reloaded, testClaim(now));
    expect(r2).toMatchObject({ outcome: 'recorded', deploy: { state: 'approved' } });
  });

  it('refuses approvals after expiresAt and forgets the deploy after the retention', async () => {
    const deploy = make();
    await a.create(deploy);
    const expiry = deploy.expiresAt * 1000;
    expect(
      (await a.recordApproval(deploy.id, testVote('alice'), expiry, quorum, testClaim(expiry)))
        .outcome,
    ).toBe('recorded');
    expect(
      await b.recordApproval(deploy.id, testVote('bob'), expiry + 1, quorum, testClaim(expiry + 1)),
    ).toEqual({
      outcome: 'deploy_expired',
    });
    now = expiry + 10_001;
    try {
      expect(await a.get(deploy.id)).toBeUndefined();
      expect(
        await a.recordApproval(deploy.id, testVote('bob'), now, quorum, testClaim(now)),
      ).toEqual({
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
    const q = quorumOf(2, names);
    await a.recordApproval(deploy.id, testVote(names[0] ?? ''), now, q, testClaim(now));
    const r = await b.recordApproval(deploy.id, testVote(names[1] ?? ''), now, q, testClaim(now));
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
