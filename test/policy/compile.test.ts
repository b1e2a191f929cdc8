import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, sha256Hex, toHex } from '../../src/crypto/index.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { compileErrors, compileOrThrow, shippedPolicyJson } from './fixtures.js';

const key = (): string => toHex(generateEd25519KeyPair().publicKey);
/** Small-order point: the identity (y = 1). */
const SMALL_ORDER = `01${'00'.repeat(31)}`;
/** y = p: an encoding that is not canonical (y must be < 2^255 - 19). */
const NON_CANONICAL = `ed${'ff'.repeat(30)}7f`;

function withQuorum(approvers: Record<string, string>, quorum: unknown): unknown {
  return { ...shippedPolicyJson(), approvers, quorum };
}

describe('compilePolicy', () => {
  it('accepts the shipped policy and names it by the sha256 of the file bytes', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(shippedPolicyJson()));
    const result = compilePolicy(bytes, {
      devMode: false,
      activatedAt: '2026-11-21T20:00:00.000Z',
    });
    expect(result.ok && result.policy.revision).toBe(`sha256:${sha256Hex(bytes)}`);
    expect(result.ok && result.policy.activatedAt).toBe('2026-11-21T20:00:00.000Z');
  });

  it('returns an immutable revision', () => {
    const p = compileOrThrow(shippedPolicyJson());
    expect(Object.isFrozen(p)).toBe(true);
  });

  describe('rejects, with a JSON path,', () => {
    it.each([
      ['bad JSON', '{"version": 1,', /^\(root\): not valid JSON at \d+:\d+ \(line:column\)/],
      ['a wrong version', { version: 2 }, /^version: /],
      [
        'an unknown top-level field',
        { version: 1, maxStep: 3 },
        /^\(root\): unknown field\(s\) "maxStep"/,
      ],
      [
        'an unknown nested field',
        { version: 1, deny: { patterns: [{ name: 'a', regex: 'x', flags: 'i' }] } },
        /^deny\.patterns\[0\]: unknown field\(s\) "flags"/,
      ],
      [
        'a bad client key',
        { version: 1, clients: { 'a b': { actions: [] } } },
        /^clients\["a b"\]: must be a client id/,
      ],
      [
        'a bad action',
        { version: 1, clients: { x: { actions: ['Build'] } } },
        /^clients\.x\.actions\[0\]: /,
      ],
      ['a forbidden key', '{"version":1,"clients":{"__proto__":{"actions":[]}}}', /forbidden key/],
      ['a negative maxSteps', { version: 1, maxSteps: -1 }, /^maxSteps: /],
    ])('%s', (_name, doc, expected) => {
      expect(compileErrors(doc).some((e) => expected.test(e))).toBe(true);
    });

    it.each([
      ['(a+)+$', /nested quantifier/],
      ['(a|aa)*b', /ambiguous alternation/],
      ['(\\w|\\d)+x', /ambiguous alternation/],
      ['(a*)*', /nested quantifier|empty string/],
      ['\\s*\\s*x', /next to each other/],
      ['\\w+\\d+!', /next to each other/],
      ['(aa?)+b', /iteration/],
      ['(a?)+b', /nested quantifier|empty string/],
      ['x*', /empty string/],
      ['(\\d+\\.)+\\d', /nested quantifier/],
      ['(a)\\1', /backreferences/],
      ['(?=a)b', /lookaround/],
      ['(?<n>a)', /lookaround and named groups/],
      ['a{1,1000}', /repeat count/],
      ['[z-a]', /range out of order/],
      ['(ab', /missing "\)"/],
      ['ｒｍ', /never occurs in folded text/],
    ])('a super-linear or invalid regex %j', (regex, expected) => {
      const errors = compileErrors({
        version: 1,
        deny: {
          patterns: [
            { name: 'ok', regex: 'fine' },
            { name: 'bad', regex },
          ],
        },
      });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^deny\.patterns\[1\]\.regex: /);
      expect(errors[0]).toMatch(expected);
    });

    it('duplicate rule names', () => {
      const errors = compileErrors({
        version: 1,
        deny: {
          patterns: [
            { name: 'a', regex: 'x' },
            { name: 'a', regex: 'y' },
          ],
        },
      });
      expect(errors).toEqual(['deny.patterns[1].name: duplicate rule name "a"']);
    });

    it.each([
      ['two emoji in one entry', '💣💣'],
      ['a letter', 'x'],
      ['a keycap that would reduce to "#"', '#\ufe0f\u20e3'],
    ])('an emoji entry that is %s', (_name, entry) => {
      expect(compileErrors({ version: 1, deny: { emoji: [entry] } })[0]).toMatch(
        /^deny\.emoji\[0\]: /,
      );
    });

    it('an approver key of small order', () => {
      expect(compileErrors(withQuorum({ alice: SMALL_ORDER }, {}))).toEqual([
        'approvers.alice: not an acceptable Ed25519 public key: small-order point',
      ]);
    });

    it('an approver key that is not canonically encoded', () => {
      const [error] = compileErrors(withQuorum({ alice: NON_CANONICAL }, {}));
      expect(error).toMatch(/^approvers\.alice: not an acceptable Ed25519 public key: /);
    });

    it('an approver key that is not 64 hex characters', () => {
      expect(compileErrors(withQuorum({ alice: 'abcd' }, {}))[0]).toMatch(
        /^approvers\.alice: must be 64 lowercase hex/,
      );
    });

    it('two approvers with the same key', () => {
      const k = key();
      expect(compileErrors(withQuorum({ alice: k, bob: k }, {}))).toEqual([
        'approvers.bob: same key as approver "alice"',
      ]);
    });

    it('a threshold outside 1..approvers and unknown or repeated approvers', () => {
      const approvers = { alice: key(), bob: key() };
      expect(
        compileErrors(
          withQuorum(approvers, { deploy: { threshold: 3, approvers: ['alice', 'bob'] } }),
        ),
      ).toEqual(['quorum.deploy.threshold: threshold 3 is outside 1..2']);
      expect(
        compileErrors(withQuorum(approvers, { deploy: { threshold: 0, approvers: ['alice'] } }))[0],
      ).toMatch(/^quorum\.deploy\.threshold: /);
      expect(
        compileErrors(
          withQuorum(approvers, {
            deploy: { threshold: 1, approvers: ['alice', 'carol', 'alice'] },
          }),
        ),
      ).toEqual([
        'quorum.deploy.approvers[1]: unknown approver "carol"',
        'quorum.deploy.approvers[2]: approver "alice" listed twice',
      ]);
    });

    it('reports every problem of a file at once', () => {
      const errors = compileErrors({
        version: 1,
        approvers: { alice: SMALL_ORDER },
        deny: {
          patterns: [
            { name: 'a', regex: '(a+)+' },
            { name: 'b', regex: '(b|bb)*c' },
          ],
        },
      });
      expect(errors).toHaveLength(3);
    });
  });

  describe('quorum and approvers', () => {
    it('resolves the quorum rule of an action, with the default ttl', () => {
      const approvers = { alice: key(), bob: key(), carol: key() };
      const p = compileOrThrow(
        withQuorum(approvers, { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'] } }),
      );
      expect(p.quorumFor('deploy')).toEqual({
        threshold: 2,
        approvers: ['alice', 'bob', 'carol'],
        ttlSeconds: 900,
      });
      expect(p.quorumFor('build')).toBeUndefined();
      expect(toHex(p.approverKey('bob')!)).toBe(approvers.bob);
      expect(p.approverKey('mallory')).toBeUndefined();
      expect(p.approverKey('constructor')).toBeUndefined();
    });

    it('hands out copies of approver keys', () => {
      const approvers = { alice: key() };
      const p = compileOrThrow(withQuorum(approvers, {}));
      p.approverKey('alice')!.fill(0);
      expect(toHex(p.approverKey('alice')!)).toBe(approvers.alice);
    });
  });
});
