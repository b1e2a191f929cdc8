import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/events/event-schema.js';
import { compileEmojiMatcher } from '../../src/policy/emoji.js';
import { type CompiledRules, evaluateEvent, eventStrings } from '../../src/policy/evaluate.js';
import { foldForPatterns } from '../../src/policy/normalize.js';
import { requiredLiterals } from '../../src/policy/regex/literals.js';
import { parseRegex } from '../../src/policy/regex/parse.js';
import { type PatternSet, compilePatternSet } from '../../src/policy/regex/pattern-set.js';
import { shellView } from '../../src/policy/shell-view.js';
import { NEAR_MISSES, adversarialEvent } from './adversarial.js';
import { buildEvent, shippedPolicyJson } from './fixtures.js';

/**
 * The literal prefilter (issue 19) skips a group's automaton when the text holds none of
 * the literals its patterns require. A literal set that some match avoids would let a
 * denied event through, so every verdict with the prefilter (`scan`) is compared with the
 * reference that runs every automaton (`matches`), on random patterns and texts and on the
 * shipped rules with hostile and near-miss inputs.
 */

/** Random patterns over a small alphabet with multi-character words, so literals matter. */
const patternArb = fc.letrec((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      'a',
      'b',
      'B',
      'rm',
      'cur',
      'ab',
      '-',
      ' ',
      '.',
      '\\s',
      '\\w',
      '[ab]',
      '[^a]',
      '[a-c]',
      '[rR]',
      '\\b',
      '\\B',
      '^',
      '$',
      '\\u{1F4A3}',
    ),
    tie('group'),
  ),
  group: fc.tuple(tie('alt')).map(([a]) => `(?:${String(a)})`),
  piece: fc
    .tuple(
      tie('atom'),
      fc.constantFrom('', '', '', '', '?', '*', '+', '{2}', '{1,3}', '{0,2}', '{2,}', '{0}'),
    )
    .map(([a, q]) => (/^[\^$]|^\\[bB]$/.test(String(a)) ? String(a) : `${String(a)}${q}`)),
  seq: fc.array(tie('piece'), { minLength: 1, maxLength: 5 }).map((p) => p.join('')),
  alt: fc.array(tie('seq'), { minLength: 1, maxLength: 3 }).map((s) => s.join('|')),
}));

const textArb = fc
  .array(
    fc.constantFrom(
      'a',
      'b',
      'c',
      'r',
      'm',
      'u',
      'rm',
      'cur',
      'ab',
      '-',
      ' ',
      '_',
      '\n',
      '💣',
      '\ud83d',
    ),
    { maxLength: 24 },
  )
  .map((c) => c.join(''));

/** Verdicts of `scan` (prefiltered) and `matches` (every automaton) on one text. */
function both(set: PatternSet, text: string): [number[], number[]] {
  const found = new Uint8Array(set.size);
  expect(set.scan([text], found, { work: Infinity })).toBe(true);
  const filtered: number[] = [];
  found.forEach((v, i) => v === 1 && filtered.push(i));
  return [filtered, set.matches(text)];
}

/** Verdicts of one `scan` of all `texts` together and the union of `matches` on each. */
function together(set: PatternSet, texts: readonly string[]): [number[], number[]] {
  const found = new Uint8Array(set.size);
  expect(set.scan(texts, found, { work: Infinity })).toBe(true);
  const filtered: number[] = [];
  found.forEach((v, i) => v === 1 && filtered.push(i));
  const reference = [...new Set(texts.flatMap((t) => set.matches(t)))].sort((a, b) => a - b);
  return [filtered, reference];
}

describe('the literal prefilter', () => {
  it('never skips a matching pattern: random pattern sets and texts', () => {
    let matched = 0;
    let filtered = 0;
    fc.assert(
      fc.property(
        fc.array(patternArb.alt, { minLength: 1, maxLength: 4 }),
        fc.array(textArb, { minLength: 1, maxLength: 8 }),
        (generated, texts) => {
          // Patterns the safety checks refuse alone are left out; the rest form the set.
          const sources = generated.filter((p) => compilePatternSet([p]).ok);
          if (sources.length === 0) return;
          const compiled = compilePatternSet(sources);
          if (!compiled.ok) return; // together too large: nothing to compare
          for (const t of texts) {
            const [withPrefilter, reference] = both(compiled.set, t);
            expect(withPrefilter, `${JSON.stringify(sources)} on ${JSON.stringify(t)}`).toEqual(
              reference,
            );
            if (reference.length > 0) matched++;
          }
          // Each pattern alone: every text it matches holds one of its literals.
          for (const source of sources) {
            const literals = requiredLiterals(parseRegex(source));
            if (literals === undefined) continue;
            filtered++;
            const alone = compilePatternSet([source]);
            if (!alone.ok) continue;
            for (const t of texts)
              if (alone.set.matches(t).length > 0)
                expect(
                  literals.some((l) => t.includes(l)),
                  `${source} matches ${JSON.stringify(t)} without any of ${JSON.stringify(literals)}`,
                ).toBe(true);
          }
        },
      ),
      { numRuns: 6000, seed: 20261126 },
    );
    // The generators must produce matches and literal requirements, or this proves nothing.
    expect(matched).toBeGreaterThan(1000);
    expect(filtered).toBeGreaterThan(700);
  });

  it('scans many texts at once as each alone: short ones joined, long ones apart', () => {
    // Above 4,096 characters a text is searched alone (JOIN_LIMIT in pattern-set.ts); the
    // filler holds no letter of the patterns' alphabet, so it only moves the text across.
    const long = (t: string): string => `${'z'.repeat(4100)}${t}`;
    let matched = 0;
    let matchedLong = 0;
    fc.assert(
      fc.property(
        fc.array(patternArb.alt, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(textArb, fc.boolean()), { minLength: 1, maxLength: 6 }),
        (generated, picks) => {
          const sources = generated.filter((p) => compilePatternSet([p]).ok);
          if (sources.length === 0) return;
          const compiled = compilePatternSet(sources);
          if (!compiled.ok) return;
          const texts = picks.map(([t, isLong]) => (isLong ? long(t) : t));
          const [withPrefilter, reference] = together(compiled.set, texts);
          expect(withPrefilter, `${JSON.stringify(sources)} on ${JSON.stringify(picks)}`).toEqual(
            reference,
          );
          if (reference.length > 0) matched++;
          if (texts.some((t) => t.length > 4096 && compiled.set.matches(t).length > 0))
            matchedLong++;
        },
      ),
      { numRuns: 3000, seed: 20261129 },
    );
    // Matches, and matches in long texts, or this proves nothing.
    expect(matched).toBeGreaterThan(150);
    expect(matchedLong).toBeGreaterThan(50);
  });

  it('derives the literals of the shipped rules', () => {
    const patterns = (
      shippedPolicyJson() as { deny: { patterns: { name: string; regex: string }[] } }
    ).deny.patterns;
    const literals = Object.fromEntries(
      patterns.map((p) => [p.name, requiredLiterals(parseRegex(p.regex))]),
    );
    expect(literals.curl_pipe_shell).toEqual(['curl', 'wget']);
    expect(literals.dd_to_device).toEqual(['of=/dev/']);
    expect(literals.rm_root).toEqual(['rm']);
    // Every shipped rule has literals, so an event holding none skips every automaton.
    for (const p of patterns) expect(literals[p.name], p.name).toBeDefined();
    // Nothing required: an optional or unbounded part, or a wide class.
    expect(requiredLiterals(parseRegex('a?b*'))).toBeUndefined();
    expect(requiredLiterals(parseRegex('\\s+\\w'))).toBeUndefined();
    expect(requiredLiterals(parseRegex('x|\\d'))).toBeUndefined();
    expect(requiredLiterals(parseRegex('^$'))).toBeUndefined();
    expect(requiredLiterals(parseRegex('(ab){0}'))).toBeUndefined();
    // Case: a literal class yields both spellings; alternations and repeats combine.
    expect(requiredLiterals(parseRegex('R'))).toEqual(['R', 'r']);
    expect(requiredLiterals(parseRegex('(ab){2}'))).toEqual(['abab']);
    expect(requiredLiterals(parseRegex('x(ab)+y'))).toEqual(['ab']);
  });

  describe('the shipped rules: every verdict equals the unfiltered one', () => {
    const doc = shippedPolicyJson() as {
      maxSteps: number;
      deny: { patterns: { name: string; regex: string }[]; emoji: string[] };
    };
    const compiled = compilePatternSet(doc.deny.patterns.map((p) => p.regex));
    if (!compiled.ok) throw new Error('shipped patterns must compile');
    const set = compiled.set;
    const rules = (patterns: PatternSet): CompiledRules => ({
      maxSteps: doc.maxSteps,
      clients: new Map(),
      wildcards: [],
      patternNames: doc.deny.patterns.map((p) => p.name),
      patterns,
      emoji: compileEmojiMatcher(doc.deny.emoji),
    });
    // The reference: the same set, its scan replaced by the unfiltered `matches`.
    const unfiltered: PatternSet = {
      ...set,
      scan(texts, found) {
        for (const text of texts) for (const p of set.matches(text)) found[p] = 1;
        return true;
      },
    };
    const client = { actions: new Set(['build']), ratePerMinute: undefined };
    const agree = (event: GatewayEvent): void => {
      expect(evaluateEvent(rules(set), client, event)).toEqual(
        evaluateEvent(rules(unfiltered), client, event),
      );
      for (const text of eventStrings(event)) {
        const folded = foldForPatterns(text);
        const [a, b] = both(set, folded);
        expect(a, JSON.stringify(text.slice(0, 80))).toEqual(b);
        const [c, d] = both(set, shellView(folded));
        expect(c).toEqual(d);
      }
    };
    const spellings = (
      JSON.parse(
        readFileSync(new URL('./shell-spellings.json', import.meta.url), 'utf8'),
      ) as string[][]
    ).map(([run]) => run!);

    it('near-misses, shell spellings and the 256 KiB adversarial event', () => {
      for (const run of [...NEAR_MISSES, ...spellings]) agree(buildEvent(run));
      agree(adversarialEvent());
      agree(adversarialEvent(256 * 1024, 'rm -rf /'));
      // Some of them must be denied, or the comparison proves little.
      const denied = (r: string): boolean =>
        set.matches(foldForPatterns(r)).length + set.matches(shellView(foldForPatterns(r))).length >
        0;
      expect(spellings.filter(denied).length).toBe(spellings.length);
    });

    it('random texts built from the rules’ own fragments, mixed case and Unicode', () => {
      const fragment = fc.constantFrom(
        ...NEAR_MISSES,
        ...spellings,
        'RM',
        'rm',
        ' -rf ',
        '/',
        '*',
        '|',
        ';',
        '&',
        'curl',
        'WGET',
        'sh',
        'bash',
        '$(',
        '`',
        'of=/dev/',
        'dd ',
        'mkfs',
        ':(){ :|:& };:',
        'fork while fork',
        'DROP ',
        'database',
        '/**/',
        '\u00a0',
        'ｒｍ',
        'ﬁ',
        '\u200b',
        '💣',
        '\ud800',
        ' ',
        'x',
      );
      fc.assert(
        fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
          agree(buildEvent(parts.join(''), { metadata: { note: parts.reverse().join('') } }));
        }),
        { numRuns: 3000, seed: 19 },
      );
    });
  });
});
