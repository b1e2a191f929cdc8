import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import { deployEvent, fakeKey, quorumOf, requestDigest, testClaim, testVote } from './fixtures.js';

const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 60 };
const quorum = quorumOf(2, rule.approvers);

function setup(options: { maxDeploys?: number; retainSeconds?: number } = {}) {
  let now = 1_795_000_000_000;
  const clock = { nowMs: () => now };
  const store = new MemoryPendingDeployStore({ clock, ...options });
  const make = () =>
    openPendingDeploy({
      decisionId: 'd',
      clientId: 'ci',
      event: deployEvent,
      requestDigest,
      policyRevision: `sha256:${'00'.repeat(32)}`,
      rule,
      nowMs: now,
    });
  return { store, make, advance: (ms: number) => (now += ms), now: () => now };
}

describe('MemoryPendingDeployStore', () => {
  it('stores and reads a deploy', async () => {
    const { store, make } = setup();
    const deploy = make();
    await store.create(deploy);
    expect(await store.get(deploy.id)).toEqual(deploy);
    expect(await store.get('f'.repeat(32))).toBeUndefined();
  });

  it('returns records no caller can modify', async () => {
    const { store, make } = setup();
    const deploy = make();
    await store.create(deploy);
    const read = await store.get(deploy.id);
    expect(() => (read!.approvedBy as string[]).push('mallory')).toThrow(TypeError);
    expect((await store.get(deploy.id))!.approvedBy).toEqual([]);
  });

  it('records approvals until the threshold, then closes', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    const first = await store.recordApproval(
      deploy.id,
      testVote('alice'),
      now(),
      quorum,
      testClaim(now()),
    );
    expect(first).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'pending', approvedBy: ['alice'] },
    });
    expect(
      await store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now())),
    ).toEqual({
      outcome: 'already_approved',
    });
    const second = await store.recordApproval(
      deploy.id,
      testVote('bob'),
      now(),
      quorum,
      testClaim(now()),
    );
    expect(second).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'approved', approvedBy: ['alice', 'bob'] },
    });
    expect(
      await store.recordApproval(deploy.id, testVote('carol'), now(), quorum, testClaim(now())),
    ).toEqual({
      outcome: 'deploy_closed',
    });
  });

  it('counts one vote for concurrent approvals from the same approver', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now())),
      ),
    );
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already_approved')).toHaveLength(19);
    expect((await store.get(deploy.id))!.approvedBy).toEqual(['alice']);
  });

  it('does not count an approver the current quorum no longer lists', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    await store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now()));
    const reloaded = quorumOf(2, ['bob', 'carol']);
    const r = await store.recordApproval(
      deploy.id,
      testVote('bob'),
      now(),
      reloaded,
      testClaim(now()),
    );
    expect(r).toMatchObject({ outcome: 'recorded', deploy: { state: 'pending' } });
    const r2 = await store.recordApproval(
      deploy.id,
      testVote('carol'),
      now(),
      reloaded,
      testClaim(now()),
    );
    expect(r2).toMatchObject({ outcome: 'recorded', deploy: { state: 'approved' } });
  });

  it('refuses approvals after expiresAt and forgets the deploy after the retention', async () => {
    const { store, make, advance, now } = setup({ retainSeconds: 10 });
    const deploy = make();
    await store.create(deploy);
    advance(60_000);
    expect(
      (await store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now())))
        .outcome,
    ).toBe('recorded');
    advance(1);
    expect(
      await store.recordApproval(deploy.id, testVote('bob'), now(), quorum, testClaim(now())),
    ).toEqual({
      outcome: 'deploy_expired',
    });
    expect(await store.get(deploy.id)).toBeDefined();
    advance(10_000);
    expect(await store.get(deploy.id)).toBeUndefined();
    expect(
      await store.recordApproval(deploy.id, testVote('bob'), now(), quorum, testClaim(now())),
    ).toEqual({
      outcome: 'unknown_deploy',
    });
  });

  it('fails closed when full of live deploys, and makes room by sweeping gone ones', async () => {
    const { store, make, advance } = setup({ maxDeploys: 2, retainSeconds: 0 });
    await store.create(make());
    await store.create(make());
    const full = store.create(make());
    await expect(full).rejects.toBeInstanceOf(GatewayError);
    await expect(full).rejects.toMatchObject({ code: 'unavailable' });
    advance(61_000);
    await store.create(make());
    expect(store.size).toBe(1);
  });

  it('hands the release claim to exactly one caller, and keeps the first release', async () => {
    const { store, make, now, advance } = setup();
    const deploy = make();
    await store.create(deploy);
    expect(await store.claimRelease(deploy.id, testClaim(now()), now())).toBe('not_approved');
    await store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now()));
    const first = testClaim(now());
    expect(
      await store.recordApproval(deploy.id, testVote('bob'), now(), quorum, first),
    ).toMatchObject({ outcome: 'recorded', releaseClaimed: true });
    const racers = await Promise.all(
      Array.from({ length: 10 }, () => store.claimRelease(deploy.id, testClaim(now()), now())),
    );
    expect(new Set(racers)).toEqual(new Set(['held']));
    await store.abandonRelease(deploy.id, 'stranger');
    expect(await store.claimRelease(deploy.id, testClaim(now()), now())).toBe('held');
    await store.abandonRelease(deploy.id, first.token);
    const next = await Promise.all(
      Array.from({ length: 10 }, () => store.claimRelease(deploy.id, testClaim(now()), now())),
    );
    expect(next.filter((o) => o === 'claimed')).toHaveLength(1);
    advance(60_001);
    const late = testClaim(now());
    expect(await store.claimRelease(deploy.id, late, now())).toBe('claimed');
    const decision = { index: 3, leafHash: 'ef'.repeat(32) };
    await store.completeRelease(deploy.id, late.token, { decision, approvals: [testVote('bob')] });
    await store.completeRelease(deploy.id, 'again', {
      decision: { index: 9, leafHash: '00'.repeat(32) },
      approvals: [],
    });
    expect(await store.get(deploy.id)).toMatchObject({
      released: true,
      decision,
      approvals: [testVote('bob')],
    });
    expect(await store.claimRelease(deploy.id, testClaim(now()), now())).toBe('released');
  });

  it('stops counting a vote whose key the current policy rotated out (docs/protocol.md §12)', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    await store.recordApproval(deploy.id, testVote('alice'), now(), quorum, testClaim(now()));
    const rotated = quorumOf(2, rule.approvers, { alice: fakeKey('alice', 2) });
    expect(
      await store.recordApproval(deploy.id, testVote('bob'), now(), rotated, testClaim(now())),
    ).toMatchObject({ outcome: 'recorded', deploy: { state: 'pending' } });
    expect(
      await store.recordApproval(
        deploy.id,
        testVote('alice', fakeKey('alice', 2)),
        now(),
        rotated,
        testClaim(now()),
      ),
    ).toMatchObject({ outcome: 'recorded', releaseClaimed: true, deploy: { state: 'approved' } });
  });

  it('refuses a duplicate id', async () => {
    const { store, make } = setup();
    const deploy = make();
    await store.create(deploy);
    await expect(store.create(deploy)).rejects.toThrow(RangeError);
  });
});
