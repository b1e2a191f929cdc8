import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import { deployEvent, requestDigest } from './fixtures.js';

const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 60 };
const quorum = { threshold: 2, approvers: rule.approvers };

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
    const first = await store.recordApproval(deploy.id, 'alice', now(), quorum);
    expect(first).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'pending', approvedBy: ['alice'] },
    });
    expect(await store.recordApproval(deploy.id, 'alice', now(), quorum)).toEqual({
      outcome: 'already_approved',
    });
    const second = await store.recordApproval(deploy.id, 'bob', now(), quorum);
    expect(second).toMatchObject({
      outcome: 'recorded',
      deploy: { state: 'approved', approvedBy: ['alice', 'bob'] },
    });
    expect(await store.recordApproval(deploy.id, 'carol', now(), quorum)).toEqual({
      outcome: 'deploy_closed',
    });
  });

  it('counts one vote for concurrent approvals from the same approver', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.recordApproval(deploy.id, 'alice', now(), quorum)),
    );
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already_approved')).toHaveLength(19);
    expect((await store.get(deploy.id))!.approvedBy).toEqual(['alice']);
  });

  it('does not count an approver the current quorum no longer lists', async () => {
    const { store, make, now } = setup();
    const deploy = make();
    await store.create(deploy);
    await store.recordApproval(deploy.id, 'alice', now(), quorum);
    const reloaded = { threshold: 2, approvers: ['bob', 'carol'] };
    const r = await store.recordApproval(deploy.id, 'bob', now(), reloaded);
    expect(r).toMatchObject({ outcome: 'recorded', deploy: { state: 'pending' } });
    const r2 = await store.recordApproval(deploy.id, 'carol', now(), reloaded);
    expect(r2).toMatchObject({ outcome: 'recorded', deploy: { state: 'approved' } });
  });

  it('refuses approvals after expiresAt and forgets the deploy after the retention', async () => {
    const { store, make, advance, now } = setup({ retainSeconds: 10 });
    const deploy = make();
    await store.create(deploy);
    advance(60_000);
    expect((await store.recordApproval(deploy.id, 'alice', now(), quorum)).outcome).toBe(
      'recorded',
    );
    advance(1);
    expect(await store.recordApproval(deploy.id, 'bob', now(), quorum)).toEqual({
      outcome: 'deploy_expired',
    });
    expect(await store.get(deploy.id)).toBeDefined();
    advance(10_000);
    expect(await store.get(deploy.id)).toBeUndefined();
    expect(await store.recordApproval(deploy.id, 'bob', now(), quorum)).toEqual({
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

  it('refuses a duplicate id', async () => {
    const { store, make } = setup();
    const deploy = make();
    await store.create(deploy);
    await expect(store.create(deploy)).rejects.toThrow(RangeError);
  });
});
