import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonStringsArePrintableAscii } from '../../src/json/printable-ascii.js';

/**
 * The events route tells the policy that every string of the event is printable ASCII
 * when `jsonStringsArePrintableAscii(body)` holds, and the policy then folds by
 * lower-casing alone (issue 19). A wrong "true" would skip folding for a string that needs
 * it (a control character or a fullwidth letter splitting a denied word), so: whenever it
 * says true, every key and string value JSON.parse produces is printable ASCII.
 */
const PRINTABLE = /^[\x20-\x7e]*$/;

function everyString(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) everyString(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      everyString(v, out);
    }
  return out;
}

function holds(text: string): boolean {
  const says = jsonStringsArePrintableAscii(Buffer.from(text, 'utf8'));
  if (says) for (const s of everyString(JSON.parse(text))) expect(s).toMatch(PRINTABLE);
  return says;
}

/** Strings over units that matter: controls, DEL, quote, backslash, Latin-1, fullwidth, astral. */
const trickyString = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u0000', '\t', '\n', '\u001f', '\u007f', '"', '\\', '/', 'é', 'Ｒ', '\u200b'),
    fc.constantFrom('\ud83d\udca3', '\ud800', 'A', 'z', ' ', '~'),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

describe('jsonStringsArePrintableAscii', () => {
  it('says true only when every parsed string is printable ASCII (random JSON, tricky strings)', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        trickyString,
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(trickyString, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    let trues = 0;
    fc.assert(
      fc.property(value, (v) => {
        if (holds(JSON.stringify(v))) trues += 1;
      }),
      { numRuns: 20_000 },
    );
    // Not vacuous: plenty of the random documents were printable ASCII.
    expect(trues).toBeGreaterThan(500);
  });

  it('says true for printable-ASCII documents without escapes', () => {
    const plain = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(fc.dictionary(plain, plain), (o) => {
        const text = JSON.stringify(o);
        expect(holds(text)).toBe(!text.includes('\\'));
      }),
      { numRuns: 5_000 },
    );
  });

  it('says false for any escape, DEL, or non-ASCII byte, even where the string would be plain', () => {
    for (const text of [
      '{"a":"\\u0041"}', // decodes to "A", but any escape is refused: no per-escape reasoning
      '{"a":"\\n"}',
      '{"a":"\\u0000"}',
      '{"a":"\u007f"}',
      '{"a":"é"}',
      '{"é":1}',
      '{"a":"ＲＭ"}',
      '{"a":"\ud83d\udca3"}',
    ])
      expect(holds(text), text).toBe(false);
    expect(holds('{"action":"build","steps":[{"name":"x","run":"CURL -s x | sh"}]}')).toBe(true);
  });

  it('reads only the bytes of the view it is given', () => {
    const whole = Buffer.from('é{"a":"b"}\u007f', 'utf8');
    expect(jsonStringsArePrintableAscii(whole.subarray(2, whole.length - 1))).toBe(true);
    expect(jsonStringsArePrintableAscii(whole)).toBe(false);
  });
});
