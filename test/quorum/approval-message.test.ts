import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildApprovalMessage,
  parseApprovalMessage,
  type ApprovalFields,
} from '../../src/quorum/approval-message.js';

const fields: ApprovalFields = {
  deploy: '0123456789abcdef0123456789abcdef',
  action: 'deploy',
  target: 'acme/web',
  environment: 'prod',
  artifact: `sha256:${'ab'.repeat(32)}`,
  request: `sha256:${'cd'.repeat(32)}`,
  policy: `sha256:${'ef'.repeat(32)}`,
  expires: 1_795_000_000,
};

describe('buildApprovalMessage', () => {
  it('produces the nine lines of docs/protocol.md §5, each ending in a newline', () => {
    expect(buildApprovalMessage(fields)).toBe(
      'codex-approval/v1\n' +
        'deploy 0123456789abcdef0123456789abcdef\n' +
        'action deploy\n' +
        'target acme/web\n' +
        'environment prod\n' +
        `artifact sha256:${'ab'.repeat(32)}\n` +
        `request sha256:${'cd'.repeat(32)}\n` +
        `policy sha256:${'ef'.repeat(32)}\n` +
        'expires 1795000000\n',
    );
  });

  it.each([
    ['target', { target: 'acme/web\nexpires 1' }],
    ['environment', { environment: 'prod env' }],
    ['artifact', { artifact: 'sha256:XYZ' }],
    ['request', { request: 'md5:00' }],
    ['deploy', { deploy: 'short' }],
    ['expires', { expires: -1 }],
    ['expires', { expires: 1.5 }],
  ])('refuses a malformed %s rather than sign something ambiguous', (_name, patch) => {
    expect(() => buildApprovalMessage({ ...fields, ...patch })).toThrow(RangeError);
  });
});

describe('parseApprovalMessage', () => {
  it('returns the fields of a message it built', () => {
    expect(parseApprovalMessage(buildApprovalMessage(fields))).toEqual(fields);
  });

  it.each([
    ['a missing final newline', (m: string) => m.slice(0, -1)],
    ['an extra line', (m: string) => `${m}note hello\n`],
    ['a CRLF line ending', (m: string) => m.replace('action deploy\n', 'action deploy\r\n')],
    ['a leading zero in expires', (m: string) => m.replace('expires 1', 'expires 01')],
    [
      'swapped lines',
      (m: string) => m.replace('action deploy\ntarget acme/web', 'target acme/web\naction deploy'),
    ],
    ['a different header', (m: string) => m.replace('v1', 'v2')],
    ['a double space', (m: string) => m.replace('action deploy', 'action  deploy')],
  ])('refuses %s', (_name, mutate) => {
    expect(parseApprovalMessage(mutate(buildApprovalMessage(fields)))).toBeUndefined();
  });

  it('round-trips every well-formed field set (property)', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const arb = fc.record({
      deploy: hex(32),
      action: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,63}$/),
      target: fc.stringMatching(/^[A-Za-z0-9._/@:-]{1,200}$/),
      environment: fc.oneof(fc.constant('-'), fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/)),
      artifact: fc.oneof(
        fc.constant('-'),
        hex(64).map((h) => `sha256:${h}`),
      ),
      request: hex(64).map((h) => `sha256:${h}`),
      policy: hex(64).map((h) => `sha256:${h}`),
      expires: fc.integer({ min: 0, max: 999_999_999_999 }),
    });
    fc.assert(
      fc.property(arb, (f) => {
        const m = buildApprovalMessage(f);
        expect(m.split('\n')).toHaveLength(10);
        expect(parseApprovalMessage(m)).toEqual(f);
      }),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const parsed = parseApprovalMessage(s);
        if (parsed !== undefined) expect(buildApprovalMessage(parsed)).toBe(s);
      }),
    );
  });
});
