import { foldForPatterns } from './normalize.js';
import type { CharClasses } from './regex/classes.js';
import type { PatternSet } from './regex/pattern-set.js';
import { compilePatternSet } from './regex/pattern-set.js';
import { policySchema } from './schema.js';

/** What `policy check` says about one deny pattern. */
export interface PatternExplanation {
  readonly name: string;
  /** A shortest text the pattern matches (as folded event text), when there is one. */
  readonly example?: string;
  /** Set when the pattern can never match event text, or matches every event. */
  readonly warning?: string;
}

/** Characters tried first for examples, so they read naturally. */
const PREFERRED = [
  ...'abcdefghijklmnopqrstuvwxyz0123456789 ',
  ...Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)),
  '\t',
  '\n',
];

/** A character can occur in folded text exactly when folding leaves it as it is. */
const canOccur = (ch: string): boolean => foldForPatterns(ch) === ch;

const picks = new WeakMap<CharClasses, (string | undefined)[]>();

/** One character per class that can occur in folded event text (undefined: none can). */
function pickFor(classes: CharClasses, cls: number): string | undefined {
  let chars = picks.get(classes);
  if (chars === undefined) {
    const found: (string | undefined)[] = new Array<string | undefined>(classes.count).fill(
      undefined,
    );
    let missing = classes.count;
    const offer = (ch: string, c: number): void => {
      if (found[c] === undefined && canOccur(ch)) {
        found[c] = ch;
        missing -= 1;
      }
    };
    for (const ch of PREFERRED) offer(ch, classes.bmp[ch.charCodeAt(0)]!);
    for (let cp = 0xa0; cp < 0x10000 && missing > 0; cp++)
      if (cp < 0xd800 || cp > 0xdfff) offer(String.fromCharCode(cp), classes.bmp[cp]!);
    for (let c = 0; c < classes.count && missing > 0; c++) {
      const cp = classes.representative[c]!;
      if (cp > 0xffff) offer(String.fromCodePoint(cp), c);
    }
    chars = found;
    picks.set(classes, chars);
  }
  return chars[cls];
}

/**
 * Explains each deny pattern from its compiled automaton: a shortest example it matches,
 * and a warning when it can never match anything an event can contain (every string of an
 * event is folded first, so only characters folding keeps can occur) or when it matches
 * every event (it matches the empty text, or every single letter, and every event
 * has an action starting with a letter). Each example is checked by matching it as an event string.
 */
export function explainPatterns(names: readonly string[], set: PatternSet): PatternExplanation[] {
  const { texts, everything } = set.examples(pickFor);
  // Every event has an action starting with a letter: a pattern matching each letter alone
  // matches every event.
  const letters = [...'abcdefghijklmnopqrstuvwxyz'].map((ch) => set.matches(ch));
  const anyText = names.map((_, i) => letters.every((m) => m.includes(i)));
  return names.map((name, i) => {
    const example = texts[i];
    const verified =
      example !== undefined && set.matches(foldForPatterns(example)).includes(i)
        ? example
        : undefined;
    if (everything[i] === true || anyText[i] === true)
      return {
        name,
        ...(verified !== undefined && { example: verified }),
        warning: `matches ${everything[i] === true ? 'the empty text, so every text' : 'every text that has a letter'}: every event would be denied`,
      };
    if (verified === undefined)
      return {
        name,
        warning:
          'can never match: no text an event can contain (after folding: NFKC, lower case, no ignorable or control characters) matches it',
      };
    return { name, example: verified };
  });
}

/**
 * Explains the deny patterns of a policy file that `compilePolicy` accepted (the compiled
 * automata are reused from its cache). Empty when the file does not validate.
 */
export function explainPolicyPatterns(bytes: Uint8Array): PatternExplanation[] {
  try {
    const parsed = policySchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) return [];
    const patterns = parsed.data.deny.patterns;
    const compiled = compilePatternSet(patterns.map((p) => p.regex));
    if (!compiled.ok) return [];
    return explainPatterns(
      patterns.map((p) => p.name),
      compiled.set,
    );
  } catch {
    return [];
  }
}
