import { beforeEach, describe, expect, it } from 'vitest';
import {
  randomId,
  sha256Hex,
  signEd25519,
  toHex,
  generateEd25519KeyPair,
} from '../../src/crypto/index.js';
import { GatewayError } from '../../src/errors.js';
import { decideEvent, NO_POLICY_REASON } from '../../src/gateway/decide-event.js';
import type { GatewayPorts } from '../../src/gateway/ports.js';
import { readDeploy } from '../../src/gateway/read-deploy.js';
import { recordApproval } from '../../src/gateway/record-approval.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import type { PendingDeploy } from '../../src/quorum/pending-deploy.js';
import {
  deployEvent,
  quorumPolicyDoc,
  RecordingAudit,
  ReloadablePolicy,
} from '../quorum/quorum-app.js';

/**
 * The use cases of src/gateway/ called directly, with in-memory stores and the real
 * file-backed audit log: no HTTP anywhere.
 */
const enc = new TextEncoder();
const request = `sha256:${sha256Hex('{"raw":"body"}')}`;

function setup() {
  let now = Date.UTC(2026, 10, 21, 20, 0, 0);
  const audit = new RecordingAudit();
  const deploys = new MemoryPendingDeployStore({ clock: { nowMs: () => now } });
  const ports: GatewayPorts = { audit, deploys, nowMs: () => now, newId: randomId };
  const keys = new Map(['alice', 'bob', 'carol'].map((n) => [n, generateEd25519KeyPair()]));
  const policy = new ReloadablePolicy();
  const load = (k = keys) =>
    policy.load(
      quorumPolicyDoc('ci-main', k, { threshold: 2, approvers: ['alice', 'bob', 'carol'] }),
    );
  load();
  const sign = (deploy: PendingDeploy, name: string, k = keys) =>
    toHex(signEd25519(enc.encode(deploy.message), k.get(name)!.secretKey));
  const open = async (): Promise<PendingDeploy> => {
    const decided = await decideEvent(ports, {
      clientId: 'ci-main',
      event: deployEvent,
      request,
      policy: policy.current(),
    });
    if (decided.decision !== 'pending') throw new Error('expected pending');
    return decided.deploy;
  };
  const approve = (deploy: PendingDeploy, name: string, k = keys) =>
    recordApproval(ports, {
      deployId: deploy.id,
      clientId: 'ci-main',
      approval: { approver: name, signature: sign(deploy, name, k) },
      policy: policy.current(),
    });
  const allows = (id: string) =>
    audit.entries.filter(
      (e) => e.type === 'decision' && e['decision'] === 'allow' && e['deploy'] === id,
    );
  return {
    ports,
    audit,
    deploys,
    keys,
    policy,
    load,
    open,
    approve,
    allows,
    advance: (ms: number) => (now += ms),
  };
}

describe('decideEvent', () => {
  it('allows, denies and holds, each audited before it resolves', async () => {
    const t = setup();
    const build = await decideEvent(t.ports, {
      clientId: 'ci-main',
      event: { action: 'build', target: 'acme/web', steps: [] },
      request,
      policy: t.policy.current(),
    });
    expect(build).toMatchObject({ decision: 'allow' });
    expect(t.audit.entries[build.audit.index]).toMatchObject({ decision: 'allow', request });
    const other = await decideEvent(t.ports, {
      clientId: 'stranger',
      event: { action: 'build', target: 'acme/web', steps: [] },
      request,
      policy: t.policy.current(),
    });
    expect(other).toMatchObject({ decision: 'deny' });
    const held = await t.open();
    expect(held.state).toBe('pending');
    expect(await t.deploys.get(held.id)).toBeDefined();
  });

  it('denies everything while no policy was ever loaded', async () => {
    const t = setup();
    const decided = await decideEvent(t.ports, {
      clientId: 'ci-main',
      event: { action: 'build', target: 'acme/web', steps: [] },
      request,
      policy: undefined,
    });
    expect(decided).toMatchObject({ decision: 'deny', reasons: [NO_POLICY_REASON], policy: null });
  });

  it('fails closed with unavailable when the log cannot store the decision', async () => {
    const t = setup();
    t.audit.failWhen = () => true;
    await expect(t.open()).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('recordApproval and the release', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('releases exactly once when the quorum is reached, with the counted votes', async () => {
    const deploy = await t.open();
    expect((await t.approve(deploy, 'alice')).decision).toBeUndefined();
    const done = await t.approve(deploy, 'bob');
    expect(done.decision).toBeDefined();
    expect(done.deploy).toMatchObject({ state: 'approved', released: true });
    expect(done.deploy.approvals?.map((v) => v.approver)).toEqual(['alice', 'bob']);
    expect(done.deploy.approvals?.[0]?.publicKey).toBe(toHex(t.keys.get('alice')!.publicKey));
    expect(t.allows(deploy.id)).toHaveLength(1);
    await expect(t.approve(deploy, 'carol')).rejects.toMatchObject({ code: 'deploy_closed' });
  });

  it('writes one allow however many reads and approvals race (docs/protocol.md §16)', async () => {
    const deploy = await t.open();
    await t.approve(deploy, 'alice');
    const results = await Promise.allSettled([
      t.approve(deploy, 'bob'),
      t.approve(deploy, 'carol'),
      ...Array.from({ length: 30 }, () => readDeploy(t.ports, deploy.id, t.policy.current())),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1); // the later vote: closed
    expect(t.allows(deploy.id)).toHaveLength(1);
  });

  it('releases a quorum reached while the log failed on the next read, still once', async () => {
    const deploy = await t.open();
    await t.approve(deploy, 'alice');
    t.audit.failWhen = (e) => e.type === 'decision' && e['decision'] === 'allow';
    await expect(t.approve(deploy, 'bob')).rejects.toBeInstanceOf(GatewayError);
    await expect(readDeploy(t.ports, deploy.id, t.policy.current())).rejects.toMatchObject({
      code: 'unavailable',
    });
    t.audit.failWhen = undefined;
    const reads = await Promise.all(
      Array.from({ length: 20 }, () => readDeploy(t.ports, deploy.id, t.policy.current())),
    );
    expect(reads.some((r) => r.deploy.released)).toBe(true);
    expect(t.allows(deploy.id)).toHaveLength(1);
    expect((await t.deploys.get(deploy.id))?.decision).toBeDefined();
  });

  it('stops counting a vote whose approver key was rotated out (docs/protocol.md §12)', async () => {
    const deploy = await t.open();
    await t.approve(deploy, 'alice');
    const rotated = new Map(t.keys);
    rotated.set('alice', generateEd25519KeyPair());
    t.load(rotated);
    const bob = await t.approve(deploy, 'bob', rotated);
    expect(bob.deploy.state).toBe('pending');
    expect(t.allows(deploy.id)).toHaveLength(0);
    // alice with her new key: a new vote that counts.
    const alice = await t.approve(deploy, 'alice', rotated);
    expect(alice.deploy).toMatchObject({ state: 'approved', released: true });
    expect(alice.deploy.approvals?.map((v) => [v.approver, v.publicKey])).toEqual([
      ['bob', toHex(rotated.get('bob')!.publicKey)],
      ['alice', toHex(rotated.get('alice')!.publicKey)],
    ]);
  });

  it('refuses the same approver and key twice with already_approved', async () => {
    const deploy = await t.open();
    await t.approve(deploy, 'alice');
    await expect(t.approve(deploy, 'alice')).rejects.toMatchObject({ code: 'already_approved' });
  });
});
