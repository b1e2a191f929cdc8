import { describe, expect, it } from 'vitest';
import {
  approvalEntry,
  assertAuditEntry,
  decisionEntry,
  policyEntry,
} from '../../src/audit/entry.js';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import { canonicalize } from '../../src/audit/jcs.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const base = {
  nowMs: Date.UTC(2026, 10, 21, 20, 0, 0, 5),
  id: 'd1',
  client: 'ci-main',
  action: 'build',
  target: 'acme/web',
  decision: 'deny' as const,
  reasons: ['max_steps'],
  policy: digest('a'),
  request: digest('b'),
};

describe('decisionEntry', () => {
  it('carries exactly the docs/protocol.md §6 decision fields, time in RFC 3339 with milliseconds', () => {
    expect(canonicalize(decisionEntry(base))).toBe(
      '{"action":"build","client":"ci-main","decision":"deny","id":"d1",' +
        `"policy":"${digest('a')}","reasons":["max_steps"],"request":"${digest('b')}",` +
        '"target":"acme/web","time":"2026-11-21T20:00:00.005Z","type":"decision","v":1}',
    );
  });
  it('adds quorum fields only when given', () => {
    const e = decisionEntry({
      ...base,
      decision: 'pending',
      reasons: [],
      deploy: 'abc123',
      threshold: 2,
      approvers: ['alice', 'bob'],
      expiresAt: '2026-11-21T20:15:00.000Z',
      message: digest('c'),
    });
    expect(e).toMatchObject({ deploy: 'abc123', threshold: 2, approvers: ['alice', 'bob'] });
  });
  it('ignores fields it does not know, so a body cannot be smuggled in', () => {
    const e = decisionEntry({ ...base, body: '{"secret":1}' } as typeof base);
    expect(Object.keys(e)).not.toContain('body');
  });
  it.each([
    ['a request that is not a digest', { request: 'raw body' }],
    ['a bad decision', { decision: 'maybe' }],
    ['an empty client', { client: '' }],
    ['a bad id', { id: 'a b' }],
  ])('refuses %s', (_n, patch) => {
    expect(() => decisionEntry({ ...base, ...patch } as typeof base)).toThrow(TypeError);
  });
});

describe('approvalEntry and policyEntry', () => {
  it('builds an approval entry and refuses a signature that is not 128 hex', () => {
    const input = {
      nowMs: 0,
      id: 'a1',
      decision: 'd1',
      deploy: 'dep1',
      client: 'ci-main',
      approver: 'alice',
      signature: 'ab'.repeat(64),
      signatureFormat: 'ed25519' as const,
      keyFingerprint: `SHA256:${'A'.repeat(43)}`,
      message: digest('c'),
      policy: digest('a'),
    };
    expect(approvalEntry(input)).toMatchObject({
      type: 'approval',
      approver: 'alice',
      signatureFormat: 'ed25519',
      keyFingerprint: `SHA256:${'A'.repeat(43)}`,
    });
    expect(() => approvalEntry({ ...input, signature: 'zz' })).toThrow(TypeError);
    expect(() => approvalEntry({ ...input, keyFingerprint: 'MD5:aa' })).toThrow(TypeError);
  });

  it('builds an SSH approval entry (sshSignature, format, fingerprint) and refuses mixes', () => {
    const { signature: _raw, ...common } = {
      nowMs: 0,
      id: 'a1',
      decision: 'd1',
      deploy: 'dep1',
      client: 'ci-main',
      approver: 'alice',
      signature: 'ab'.repeat(64),
      keyFingerprint: `SHA256:${'A'.repeat(43)}`,
      message: digest('c'),
      policy: digest('a'),
    };
    const armor = `-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n`;
    const entry = approvalEntry({
      ...common,
      sshSignature: armor,
      signatureFormat: 'sshsig-sk-ed25519',
    });
    expect(entry).toMatchObject({ sshSignature: armor, signatureFormat: 'sshsig-sk-ed25519' });
    expect(entry).not.toHaveProperty('signature');
    expect(() =>
      approvalEntry({ ...common, sshSignature: armor, signatureFormat: 'ed25519' }),
    ).toThrow(TypeError);
    expect(() =>
      approvalEntry({ ...common, sshSignature: `${armor}x`, signatureFormat: 'sshsig-ed25519' }),
    ).toThrow(TypeError);
  });
  it('builds a policy entry for a revision', () => {
    expect(policyEntry({ nowMs: 0, id: 'p1', revision: digest('e') })).toEqual({
      v: 1,
      type: 'policy',
      time: '1970-01-01T00:00:00.000Z',
      id: 'p1',
      revision: digest('e'),
    });
  });
});

describe('assertAuditEntry', () => {
  it('accepts builder output and refuses entries missing the common fields', () => {
    expect(() => assertAuditEntry(decisionEntry(base))).not.toThrow();
    const bad = [
      { v: 2, type: 'decision', time: '2026-11-21T20:00:00.000Z', id: 'x' },
      { v: 1, type: 'other', time: '2026-11-21T20:00:00.000Z', id: 'x' },
      { v: 1, type: 'policy', time: '2026-11-21T20:00:00Z', id: 'x' },
      { v: 1, type: 'policy', time: '2026-11-21T20:00:00.000Z', id: '' },
    ];
    for (const e of bad)
      expect(() => assertAuditEntry(e as unknown as AuditEntry)).toThrow(TypeError);
  });
});
