import { describe, expect, it } from 'vitest';
import { signEd25519, toHex } from '../../src/crypto/index.js';
import { checkApproval } from '../../src/quorum/decide-approval.js';
import { approvalRequestSchema } from '../../src/http/bodies.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import type { PendingDeploy } from '../../src/quorum/pending-deploy.js';
import { approverKeys, deployEvent, quorumPolicy, requestDigest } from './fixtures.js';

const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 };
const keys = approverKeys(['alice', 'bob', 'carol', 'mallory']);
const policy = quorumPolicy(rule, keys);
const nowMs = 1_795_000_000_000;
const enc = new TextEncoder();

function open(): PendingDeploy {
  return openPendingDeploy({
    decisionId: 'd',
    clientId: 'ci',
    event: deployEvent,
    requestDigest,
    policyRevision: policy.revision,
    rule,
    nowMs,
  });
}
const sign = (deploy: PendingDeploy, who: string) =>
  toHex(signEd25519(enc.encode(deploy.message), keys.get(who)!.secretKey));

describe('checkApproval', () => {
  const deploy = open();

  it('accepts a listed approver signing the stored message, with the current quorum', () => {
    expect(
      checkApproval(deploy, { approver: 'bob', signature: sign(deploy, 'bob') }, policy, nowMs),
    ).toEqual({
      ok: true,
      quorum: {
        threshold: 2,
        approvers: ['alice', 'bob', 'carol'],
        keys: Object.fromEntries(
          ['alice', 'bob', 'carol'].map((n) => [n, toHex(keys.get(n)!.publicKey)]),
        ),
      },
      policyRevision: policy.revision,
      // The vote is bound to the key that verified it (docs/protocol.md §12).
      vote: {
        approver: 'bob',
        publicKey: toHex(keys.get('bob')!.publicKey),
        signature: sign(deploy, 'bob'),
      },
      // For the audit entry: the format and the key's `ssh-keygen -l` fingerprint.
      signatureFormat: 'ed25519',
      keyFingerprint: policy.approver('bob')!.fingerprint,
    });
  });

  it.each([
    [
      'unknown_deploy',
      () =>
        checkApproval(
          undefined,
          { approver: 'bob', signature: sign(deploy, 'bob') },
          policy,
          nowMs,
        ),
    ],
    [
      'deploy_closed',
      () =>
        checkApproval(
          { ...deploy, state: 'approved' },
          { approver: 'bob', signature: sign(deploy, 'bob') },
          policy,
          nowMs,
        ),
    ],
    [
      'deploy_expired',
      () =>
        checkApproval(
          deploy,
          { approver: 'bob', signature: sign(deploy, 'bob') },
          policy,
          deploy.expiresAt * 1000 + 1,
        ),
    ],
    [
      'unknown_approver',
      () =>
        checkApproval(
          deploy,
          { approver: 'mallory', signature: sign(deploy, 'mallory') },
          policy,
          nowMs,
        ),
    ],
    [
      'unknown_approver',
      () =>
        checkApproval(
          deploy,
          { approver: 'bob', signature: sign(deploy, 'bob') },
          undefined,
          nowMs,
        ),
    ],
    [
      'invalid_approval',
      () =>
        checkApproval(deploy, { approver: 'bob', signature: sign(deploy, 'alice') }, policy, nowMs),
    ],
    [
      'invalid_approval',
      () =>
        checkApproval(deploy, { approver: 'bob', signature: sign(open(), 'bob') }, policy, nowMs),
    ],
    [
      'invalid_approval',
      () => checkApproval(deploy, { approver: 'bob', signature: 'ff'.repeat(64) }, policy, nowMs),
    ],
    [
      'invalid_approval',
      () => checkApproval(deploy, { approver: 'bob', signature: '00'.repeat(64) }, policy, nowMs),
    ],
  ])('refuses with %s', (code, run) => {
    expect(run()).toMatchObject({ ok: false, code });
  });

  it('uses the current policy: an approver removed by a reload is unknown', () => {
    const reloaded = quorumPolicy({ ...rule, approvers: ['alice', 'carol'] }, keys);
    expect(
      checkApproval(deploy, { approver: 'bob', signature: sign(deploy, 'bob') }, reloaded, nowMs),
    ).toMatchObject({
      ok: false,
      code: 'unknown_approver',
    });
  });
});

describe('approvalRequestSchema', () => {
  it.each([
    [{ approver: 'alice', signature: 'AB'.repeat(64) }],
    [{ approver: 'alice', signature: 'ab'.repeat(63) }],
    [{ approver: 'alice', signature: 'ab'.repeat(65) }],
    [{ approver: 'a'.repeat(65), signature: 'ab'.repeat(64) }],
    [{ approver: '', signature: 'ab'.repeat(64) }],
    [{ approver: 'alice', signature: 'ab'.repeat(64), extra: 1 }],
    [{ approver: 'alice\nbob', signature: 'ab'.repeat(64) }],
    [{ approver: 7, signature: 'ab'.repeat(64) }],
  ])('refuses %j', (body) => {
    expect(approvalRequestSchema.safeParse(body).success).toBe(false);
  });

  it('accepts a name and 128 lowercase hex', () => {
    expect(
      approvalRequestSchema.safeParse({ approver: 'alice', signature: 'ab'.repeat(64) }).success,
    ).toBe(true);
  });
});
