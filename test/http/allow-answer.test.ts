import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditReceipt } from '../../src/audit/audit-log.js';
import { allowAnswerBytes } from '../../src/http/allow-answer.js';
import { createTestApp } from '../helpers/test-app.js';

/**
 * allowAnswerBytes (issue 19) must give exactly the UTF-8 bytes of the previous body,
 * `JSON.stringify({ decision: 'allow', id, policy, audit })`, for any receipt: real-shaped
 * ones (hex, a signed note with its em dash) and arbitrary strings that need escaping,
 * surrogates (paired and lone), non-ASCII, odd numbers and empty proofs.
 */
const reference = (id: string, policy: string, audit: AuditReceipt): Buffer =>
  Buffer.from(JSON.stringify({ decision: 'allow', id, policy, audit }), 'utf8');

const hex = (n: number): string => randomBytes(n).toString('hex');
const note = (size: number): string =>
  `bench.codex-gateway.local/memory\n${size}\n${randomBytes(32).toString('base64')}\n\n` +
  `— bench.codex-gateway.local/memory ${randomBytes(68).toString('base64')}\n`;

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.stringMatching(/^[0-9a-f]{0,64}$/),
  fc.stringMatching(/^(?:[0-9a-fA-F]{2}){0,32}$/),
  fc.stringMatching(/^(?:[0-9a-f]{2}){0,32}[^0-9a-f]?(?:[0-9a-f]{2}){0,2}$/),
  fc.constantFrom('', '"', '\\', '\u0000', '\u001f', '\u007f', '\ud800', '\udfff', '\u2028', 'é'),
);
const receipt = (str: fc.Arbitrary<string>): fc.Arbitrary<AuditReceipt> =>
  fc.record({
    index: fc.oneof(
      fc.nat(),
      fc.integer(),
      fc.double(),
      fc.constantFrom(-0, 2 ** 53, Number.NaN, Infinity, 1e21),
    ),
    leafHash: str,
    checkpoint: fc.oneof(str, fc.nat().map(note)),
    proof: fc.array(str, { maxLength: 24 }),
  });

describe('allowAnswerBytes = UTF-8 of JSON.stringify of the allow answer', () => {
  it('real-shaped receipts, checkpoints shared and changing', () => {
    let checkpoint = note(1);
    for (let i = 0; i < 2000; i++) {
      if (i % 20 === 0) checkpoint = note(i + 1);
      const audit: AuditReceipt = {
        index: i,
        leafHash: hex(32),
        checkpoint,
        proof: Array.from({ length: i % 25 }, () => hex(32)),
      };
      const id = hex(16);
      const policy = `sha256:${hex(32)}`;
      expect(allowAnswerBytes(id, policy, audit).equals(reference(id, policy, audit))).toBe(true);
    }
  });

  it('arbitrary strings and numbers in every field', () => {
    fc.assert(
      fc.property(anyString, anyString, receipt(anyString), (id, policy, audit) => {
        expect(allowAnswerBytes(id, policy, audit).toString('hex')).toBe(
          reference(id, policy, audit).toString('hex'),
        );
      }),
      { numRuns: 20_000 },
    );
  });

  it('an answer larger than the assembly buffer', () => {
    const audit: AuditReceipt = {
      index: 1,
      leafHash: hex(32),
      checkpoint: note(2),
      proof: Array.from({ length: 2000 }, () => hex(32)),
    };
    expect(allowAnswerBytes('a', 'b', audit).equals(reference('a', 'b', audit))).toBe(true);
  });

  it("the gateway's real answers (file audit log, signed checkpoints) are JSON.stringify output", async () => {
    const t = await createTestApp();
    for (let i = 0; i < 30; i++) {
      const res = await t.send(JSON.stringify({ action: 'build', target: `a${i}`, steps: [] }));
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('— ');
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
    }
  });
});
