import { describe, expect, it } from 'vitest';
import { deployView, pendingDeployAnswer } from '../../src/http/responses/deploy-view.js';
import { openPendingDeploy } from '../../src/quorum/open-deploy.js';
import { parseApprovalMessage } from '../../src/quorum/approval-message.js';
import { deployEvent, requestDigest } from './fixtures.js';

const rule = { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 };
const policyRevision = `sha256:${'12'.repeat(32)}`;
const nowMs = 1_795_000_000_999;

function open(event = deployEvent) {
  return openPendingDeploy({
    decisionId: 'd1',
    clientId: 'ci-main',
    event,
    requestDigest,
    policyRevision,
    rule,
    nowMs,
  });
}

describe('openPendingDeploy', () => {
  it('holds the event as a pending deploy expiring ttlSeconds after the current second', () => {
    const deploy = open();
    expect(deploy).toMatchObject({
      decisionId: 'd1',
      clientId: 'ci-main',
      action: 'deploy',
      target: 'acme/web',
      environment: 'prod',
      artifact: deployEvent.deploy?.artifact,
      request: requestDigest,
      policy: policyRevision,
      threshold: 2,
      approvers: ['alice', 'bob', 'carol'],
      expiresAt: 1_795_000_000 + 900,
      approvedBy: [],
      state: 'pending',
    });
    expect(deploy.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('builds the message from the server record, every field on its own line', () => {
    const deploy = open();
    expect(deploy.message).toBe(
      `codex-approval/v1\ndeploy ${deploy.id}\naction deploy\ntarget acme/web\n` +
        `environment prod\nartifact ${deployEvent.deploy?.artifact}\nrequest ${requestDigest}\n` +
        `policy ${policyRevision}\nexpires ${1_795_000_900}\n`,
    );
  });

  it('issues a different unguessable id each time', () => {
    const ids = new Set(Array.from({ length: 200 }, () => open().id));
    expect(ids.size).toBe(200);
  });

  it('signs "-" for environment and artifact when a quorum action has no deploy block', () => {
    const deploy = open({ action: 'release', target: 'acme/web', steps: [] });
    expect(parseApprovalMessage(deploy.message)).toMatchObject({
      action: 'release',
      environment: '-',
      artifact: '-',
    });
  });
});

describe('deployView', () => {
  it('is pending until expiresAt, then expired; approved (once released) stays approved', () => {
    const deploy = open();
    const atExpiry = deploy.expiresAt * 1000;
    expect(deployView(deploy, atExpiry).state).toBe('pending');
    expect(deployView(deploy, atExpiry + 1).state).toBe('expired');
    const approved = { ...deploy, state: 'approved' as const };
    expect(deployView({ ...approved, released: true }, atExpiry + 1).state).toBe('approved');
  });

  it('shows a reached quorum as pending until its allow decision is audited', () => {
    const deploy = { ...open(), state: 'approved' as const, released: false };
    expect(deployView(deploy, nowMs).state).toBe('pending');
  });

  it('shows expiresAt as RFC 3339 with milliseconds and the recorded or current quorum', () => {
    const deploy = open();
    const view = deployView(deploy, nowMs);
    expect(view.expiresAt).toBe(new Date(deploy.expiresAt * 1000).toISOString());
    expect(view.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(view).toMatchObject({ threshold: 2, approvers: ['alice', 'bob', 'carol'] });
    expect(deployView(deploy, nowMs, { threshold: 3, approvers: ['bob'], keys: {} })).toMatchObject(
      {
        threshold: 3,
        approvers: ['bob'],
      },
    );
  });

  it('gives the 202 deploy member without approvedBy', () => {
    const answer = pendingDeployAnswer(open(), nowMs);
    expect(Object.keys(answer).sort()).toEqual(
      ['approvers', 'expiresAt', 'id', 'message', 'state', 'threshold'].sort(),
    );
  });
});
