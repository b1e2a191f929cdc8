import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LazyDfa } from '../../src/policy/regex/dfa.js';
import { buildNfa } from '../../src/policy/regex/nfa.js';
import { parseRegex } from '../../src/policy/regex/parse.js';
import { compilePatternSet } from '../../src/policy/regex/pattern-set.js';

/** Random patterns of the dialect over a tiny alphabet, so that matches are frequent. */
const patternArb = fc.letrec((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      'a',
      'b',
      'A',
      '-',
      ' ',
      '.',
      '\\s',
      '\\w',
      '\\d',
      '[ab]',
      '[^a]',
      '[a-c]',
      '\\b',
      '\\B',
      '^',
      '$',
      '\\-',
    ),
    tie('group'),
  ),
  group: fc.oneof(
    fc.tuple(tie('alt')).map(([a]) => `(${String(a)})`),
    fc.tuple(tie('alt')).map(([a]) => `(?:${String(a)})`),
  ),
  piece: fc
    .tuple(tie('atom'), fc.constantFrom('', '', '', '?', '*', '+', '{2}', '{1,3}', '{0,2}', '{2,}'))
    .map(([a, q]) => (/^[\^$]|^\\[bB]$/.test(String(a)) ? String(a) : `${String(a)}${q}`)),
  seq: fc.array(tie('piece'), { minLength: 1, maxLength: 4 }).map((p) => p.join('')),
  alt: fc.array(tie('seq'), { minLength: 1, maxLength: 3 }).map((s) => s.join('|')),
}));

const textArb = fc
  .array(fc.constantFrom('a', 'b', 'c', '-', ' ', '1', '_', '\n'), { maxLength: 24 })
  .map((c) => c.join(''));

describe('the linear-time matcher', () => {
  it('agrees with V8 (case-insensitive) on every pattern it accepts', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        patternArb.alt,
        fc.array(textArb, { minLength: 1, maxLength: 8 }),
        (source, texts) => {
          const compiled = compilePatternSet([source]);
          if (!compiled.ok) return; // refused at load: nothing to compare
          const reference = new RegExp(source, 'i');
          for (const t of texts) {
            expect(compiled.set.matches(t).length > 0, `${source} on ${JSON.stringify(t)}`).toBe(
              reference.test(t),
            );
            compared++;
          }
        },
      ),
      { numRuns: 6000, seed: 20261121 },
    );
    // The generator must produce accepted patterns, or this test proves nothing.
    expect(compared).toBeGreaterThan(1000);
  });

  it('reports exactly the patterns of a set that match', () => {
    const compiled = compilePatternSet(['^a', 'b$', '\\bcd\\b', 'x{2,3}y']);
    if (!compiled.ok) throw new Error('should compile');
    expect(compiled.set.matches('ab')).toEqual([0, 1]);
    expect(compiled.set.matches('zz cd zz')).toEqual([2]);
    expect(compiled.set.matches('zzcd')).toEqual([]);
    expect(compiled.set.matches('xxxy')).toEqual([3]);
    expect(compiled.set.matches('xy')).toEqual([]);
  });

  it('matches astral code points and text cycling through 20,000 code points (equivalence classes)', () => {
    const compiled = compilePatternSet(['😀x', '[^a]{3}z']);
    if (!compiled.ok) throw new Error('should compile');
    let noise = '';
    for (let cp = 0x4e00; cp < 0x4e00 + 20_000; cp++) noise += String.fromCodePoint(cp);
    expect(compiled.set.matches(`${noise}😀x`)).toEqual([0]);
    expect(compiled.set.matches(`${noise}z`)).toEqual([1]);
    expect(compiled.set.matches(`${noise}a`)).toEqual([]);
  });

  it('builds the whole automaton at load: scanning any text then builds no state', () => {
    const compiled = compilePatternSet(['\\brm\\s[^;]*\\s/', 'curl[^|]*\\|\\s*sh\\b', '😀x']);
    if (!compiled.ok) throw new Error('should compile');
    let text = '';
    for (let cp = 0x3400; cp < 0x3400 + 30_000; cp += 7)
      text += `${String.fromCodePoint(cp)}rm x curl |😀`;
    const found = new Uint8Array(3);
    // A budget of zero: any state built during the scan would exhaust it.
    expect(compiled.set.scan([text], found, { work: 0 })).toBe(true);
    expect([...found]).toEqual([0, 0, 0]);
  });

  it('charges states built during a scan to the budget and stops when it is spent', () => {
    const dfa = new LazyDfa(buildNfa([parseRegex('a[^x]{3}b')]));
    const found = new Uint8Array(1);
    expect(dfa.scan('zzzzazzzbzz', found, { work: 5 })).toBe(false);
    expect(dfa.scan('zzzzazzzbzz', found, { work: Infinity })).toBe(true);
    expect(found[0]).toBe(1);
  });
});
