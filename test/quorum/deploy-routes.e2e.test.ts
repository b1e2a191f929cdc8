import { beforeEach, describe, expect, it } from 'vitest';
import { fromHex, sha256Hex, toHex } from '../../src/crypto/index.js';
import { buildApprovalMessage } from '../../src/quorum/approval-message.js';
import { deployEvent, quorumApp, quorumPolicyDoc } from './quorum-app.js';

/** The group order L of edwards25519. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Replaces the `s` half of a hex signature by `s + L` (same value mod L, non-canonical). */
function nonCanonical(sigHex: string): string {
  const s = BigInt(`0x${toHex(fromHex(sigHex.slice(64)).reverse())}`);
  return sigHex.slice(0, 64) + toHex(fromHex((s + L).toString(16).padStart(64, '0')).reverse());
}

interface DeployAnswer {
  decision: string;
  id: string;
  policy: string;
  deploy: {
    id: string;
    state: string;
    threshold: number;
    approvers: string[];
    expiresAt: string;
    message: string;
  };
  audit: { index: number; leafHash: string };
}

interface View {
  id: string;
  state: string;
  threshold: number;
  approvers: string[];
  approvedBy: string[];
  expiresAt: string;
  message: string;
  audit?: { index: number; leafHash: string };
}

type Gw = ReturnType<typeof quorumApp>;

async function openDeploy(gw: Gw): Promise<DeployAnswer> {
  const res = await gw.postEvent(deployEvent);
  expect(res.status).toBe(202);
  return (await res.json()) as DeployAnswer;
}

async function approve(gw: Gw, deploy: { id: string; message: string }, name: string) {
  return gw.postApproval(deploy.id, { approver: name, signature: gw.sign(deploy.message, name) });
}

async function code(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return ((await res.json()) as { code: string }).code;
}

describe('deploy quorum through the real app', () => {
  let gw: Gw;
  beforeEach(() => {
    gw = quorumApp();
  });

  describe('POST /v1/events for a quorum action', () => {
    it('answers 202 pending with the exact message of docs/protocol.md §5', async () => {
      const body = await openDeploy(gw);
      const expires = Math.floor(gw.nowMs() / 1000) + 900;
      expect(body.decision).toBe('pending');
      expect(body.deploy).toMatchObject({
        state: 'pending',
        threshold: 2,
        approvers: ['alice', 'bob', 'carol'],
        expiresAt: new Date(expires * 1000).toISOString(),
      });
      expect(body.deploy.id).toMatch(/^[0-9a-f]{32}$/);
      expect(body.deploy.message).toBe(
        buildApprovalMessage({
          deploy: body.deploy.id,
          action: 'deploy',
          target: 'acme/web',
          environment: 'prod',
          artifact: deployEvent.deploy.artifact,
          request: `sha256:${sha256Hex(JSON.stringify(deployEvent))}`,
          policy: body.policy,
          expires,
        }),
      );
      const entry = gw.audit.entries[body.audit.index];
      expect(entry).toMatchObject({
        type: 'decision',
        decision: 'pending',
        deploy: body.deploy.id,
      });
    });
  });

  describe('the acceptance sequence', () => {
    it('counts distinct valid approvers of the quorum only, then closes', async () => {
      const { deploy } = await openDeploy(gw);
      const other = (await openDeploy(gw)).deploy;

      // One approval: still pending, audited.
      const first = await approve(gw, deploy, 'alice');
      expect(first.status).toBe(200);
      const firstView = (await first.json()) as View;
      expect(firstView).toMatchObject({ state: 'pending', approvedBy: ['alice'] });
      expect(gw.audit.entries[firstView.audit!.index]).toMatchObject({
        type: 'approval',
        deploy: deploy.id,
        approver: 'alice',
      });

      // The same approver again.
      const again = await approve(gw, deploy, 'alice');
      expect(again.status).toBe(409);
      expect(await code(again)).toBe('already_approved');

      // An approver with a key in the policy but not in the quorum list; a name with no key.
      const dave = await approve(gw, deploy, 'dave');
      expect(dave.status).toBe(403);
      expect(await code(dave)).toBe('unknown_approver');
      const zed = await gw.postApproval(deploy.id, { approver: 'zed', signature: 'ab'.repeat(64) });
      expect(zed.status).toBe(403);
      expect(await code(zed)).toBe('unknown_approver');

      // alice's signature submitted as bob.
      const asBob = await gw.postApproval(deploy.id, {
        approver: 'bob',
        signature: gw.sign(deploy.message, 'alice'),
      });
      expect(asBob.status).toBe(401);
      expect(await code(asBob)).toBe('invalid_approval');

      // bob's signature over another deploy's message.
      const replayed = await gw.postApproval(deploy.id, {
        approver: 'bob',
        signature: gw.sign(other.message, 'bob'),
      });
      expect(replayed.status).toBe(401);
      expect(await code(replayed)).toBe('invalid_approval');

      // bob's valid signature with s replaced by s + L.
      const malleated = await gw.postApproval(deploy.id, {
        approver: 'bob',
        signature: nonCanonical(gw.sign(deploy.message, 'bob')),
      });
      expect(malleated.status).toBe(401);
      expect(await code(malleated)).toBe('invalid_approval');

      // None of the refusals counted.
      const mid = (await (await gw.getDeploy(deploy.id)).json()) as View;
      expect(mid).toMatchObject({ state: 'pending', approvedBy: ['alice'] });

      // The second distinct approver releases the deploy.
      const second = await approve(gw, deploy, 'bob');
      expect(second.status).toBe(200);
      expect(await second.json()).toMatchObject({
        state: 'approved',
        approvedBy: ['alice', 'bob'],
      });
      const allow = gw.audit.entries.filter(
        (e) => e.type === 'decision' && e['decision'] === 'allow' && e['deploy'] === deploy.id,
      );
      expect(allow).toHaveLength(1);
      expect(allow[0]).toMatchObject({ approvers: ['alice', 'bob'], action: 'deploy' });

      // A third approval after the quorum.
      const third = await approve(gw, deploy, 'carol');
      expect(third.status).toBe(410);
      expect(await code(third)).toBe('deploy_closed');

      const view = (await (await gw.getDeploy(deploy.id)).json()) as View;
      expect(view).toMatchObject({ state: 'approved', approvedBy: ['alice', 'bob'] });
      expect(gw.audit.entries.filter((e) => e.type === 'approval')).toHaveLength(2);
    });

    it('refuses an approval after expiresAt with 410 deploy_expired', async () => {
      const { deploy } = await openDeploy(gw);
      gw.advance(900_000);
      expect((await approve(gw, deploy, 'alice')).status).toBe(200);
      gw.advance(1_000);
      const late = await approve(gw, deploy, 'bob');
      expect(late.status).toBe(410);
      expect(await code(late)).toBe('deploy_expired');
      const view = (await (await gw.getDeploy(deploy.id)).json()) as View;
      expect(view.state).toBe('expired');
    });

    it('counts concurrent approvals from the same approver once', async () => {
      const { deploy } = await openDeploy(gw);
      const signature = gw.sign(deploy.message, 'alice');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          gw.postApproval(deploy.id, { approver: 'alice', signature }),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      const view = (await (await gw.getDeploy(deploy.id)).json()) as View;
      expect(view).toMatchObject({ state: 'pending', approvedBy: ['alice'] });
      expect(gw.audit.entries.filter((e) => e.type === 'approval')).toHaveLength(1);
    });
  });

  describe('after a policy hot reload', () => {
    const reload = (gw: Gw, quorum: { threshold: number; approvers: string[] }) =>
      gw.policy.load(quorumPolicyDoc(gw.client.id, gw.keys, quorum));

    it('refuses an approver the new revision removed', async () => {
      const { deploy } = await openDeploy(gw);
      reload(gw, { threshold: 2, approvers: ['alice', 'carol'] });
      const bob = await approve(gw, deploy, 'bob');
      expect(bob.status).toBe(403);
      expect(await code(bob)).toBe('unknown_approver');
    });

    it('stops counting an earlier vote of a removed approver', async () => {
      const { deploy } = await openDeploy(gw);
      expect((await approve(gw, deploy, 'alice')).status).toBe(200);
      reload(gw, { threshold: 2, approvers: ['bob', 'carol'] });
      expect(await (await approve(gw, deploy, 'bob')).json()).toMatchObject({
        state: 'pending',
        threshold: 2,
        approvers: ['bob', 'carol'],
      });
      const last = (await (await approve(gw, deploy, 'carol')).json()) as View;
      expect(last.state).toBe('approved');
      const allow = gw.audit.entries.find(
        (e) => e.type === 'decision' && e['decision'] === 'allow',
      );
      expect(allow).toMatchObject({ approvers: ['bob', 'carol'] });
    });

    it('uses the new threshold', async () => {
      const { deploy } = await openDeploy(gw);
      reload(gw, { threshold: 3, approvers: ['alice', 'bob', 'carol'] });
      await approve(gw, deploy, 'alice');
      expect(await (await approve(gw, deploy, 'bob')).json()).toMatchObject({ state: 'pending' });
      expect(await (await approve(gw, deploy, 'carol')).json()).toMatchObject({
        state: 'approved',
      });
    });
  });

  describe('refusals before any verification', () => {
    it.each([
      ['not JSON', '{'],
      ['an unknown field', { approver: 'alice', signature: 'ab'.repeat(64), note: 'x' }],
      ['uppercase hex', { approver: 'alice', signature: 'AB'.repeat(64) }],
      ['a short signature', { approver: 'alice', signature: 'ab'.repeat(63) }],
      ['a long approver name', { approver: 'a'.repeat(65), signature: 'ab'.repeat(64) }],
      ['a missing approver', { signature: 'ab'.repeat(64) }],
    ])('answers 400 invalid_body for %s', async (_name, body) => {
      const { deploy } = await openDeploy(gw);
      const res = await gw.postApproval(deploy.id, body);
      expect(res.status).toBe(400);
      expect(await code(res)).toBe('invalid_body');
    });

    it('answers 404 unknown_deploy for an id never issued, on both routes', async () => {
      const body = { approver: 'alice', signature: 'ab'.repeat(64) };
      for (const id of ['0'.repeat(32), 'not-an-id']) {
        const post = await gw.postApproval(id, body);
        expect(post.status).toBe(404);
        expect(await code(post)).toBe('unknown_deploy');
        const get = await gw.getDeploy(id);
        expect(get.status).toBe(404);
        expect(await code(get)).toBe('unknown_deploy');
      }
    });

    it('requires an API key with approvals:write to approve', async () => {
      const { deploy } = await openDeploy(gw);
      const noKey = await gw.postApproval(deploy.id, {}, 'cgk_wrong');
      expect(noKey.status).toBe(401);
      expect(await code(noKey)).toBe('invalid_api_key');
      const reader = await approve(gw, deploy, 'alice').then(() =>
        gw.postApproval(
          deploy.id,
          { approver: 'bob', signature: gw.sign(deploy.message, 'bob') },
          gw.reader.apiKey,
        ),
      );
      expect(reader.status).toBe(403);
      expect(await code(reader)).toBe('insufficient_scope');
    });

    it('answers 413 for an approval body over 4 KiB', async () => {
      const { deploy } = await openDeploy(gw);
      const res = await gw.postApproval(deploy.id, {
        approver: 'alice',
        signature: 'a'.repeat(5000),
      });
      expect(res.status).toBe(413);
    });

    it('lets a reader with audit:read see the deploy', async () => {
      const { deploy } = await openDeploy(gw);
      const res = await gw.getDeploy(deploy.id, gw.reader.apiKey);
      expect(res.status).toBe(200);
      expect(Object.keys((await res.json()) as View).sort()).toEqual(
        ['approvedBy', 'approvers', 'expiresAt', 'id', 'message', 'state', 'threshold'].sort(),
      );
    });
  });

  describe('when the audit log fails as the quorum is reached', () => {
    it('never shows the deploy approved before its allow decision is durable', async () => {
      const deploy = (await openDeploy(gw)).deploy;
      expect((await approve(gw, deploy, 'alice')).status).toBe(200);
      gw.audit.failWhen = (e) => e.type === 'decision' && e['decision'] === 'allow';
      const bob = await approve(gw, deploy, 'bob');
      expect(bob.status).toBe(503);
      // The quorum is reached in the store, but no reader is told so while the log fails.
      const during = await gw.getDeploy(deploy.id);
      expect(during.status).toBe(503);
      expect((await approve(gw, deploy, 'carol')).status).toBe(503);
      // Once the log works again, the next read releases it: allow audited, then approved.
      gw.audit.failWhen = undefined;
      const after = (await (await gw.getDeploy(deploy.id)).json()) as View;
      expect(after.state).toBe('approved');
      const allows = gw.audit.entries.filter(
        (e) => e.type === 'decision' && e['decision'] === 'allow' && e['deploy'] === deploy.id,
      );
      expect(allows).toHaveLength(1);
      expect(allows[0]).toMatchObject({ approvers: ['alice', 'bob'] });
      expect(await code(await approve(gw, deploy, 'carol'))).toBe('deploy_closed');
    });
  });
});
