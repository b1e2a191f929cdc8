import {
  type CharSet,
  DIGIT,
  DOT,
  SPACE,
  WORD,
  addLowerCase,
  complement,
  normalizeRanges,
  union,
} from './char-set.js';

/**
 * Parser for the restricted regex dialect of policy deny patterns (docs/policy.md).
 * It accepts a subset of ECMAScript syntax — literals, escapes, classes, groups,
 * alternation, `? * + {m,n}`, `^ $ \b \B` — and refuses everything that needs a
 * backtracking engine (backreferences, lookaround, named groups). Patterns come from an
 * operator's file, but a typo must still fail at load, never at match time.
 */

export type RegexNode =
  | { readonly type: 'empty' }
  | { readonly type: 'char'; readonly set: CharSet }
  | { readonly type: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly type: 'alt'; readonly branches: readonly RegexNode[] }
  | {
      readonly type: 'repeat';
      readonly node: RegexNode;
      readonly min: number;
      readonly max: number;
    }
  | { readonly type: 'assert'; readonly kind: 'start' | 'end' | 'word' | 'nonword' };

/** Largest `n` allowed in `{m,n}`: counted repeats are expanded into the automaton. */
export const MAX_REPEAT_COUNT = 100;
/** Longest accepted pattern source, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 1000;
/** Deepest group nesting, so a hostile file cannot overflow the parser's stack. */
const MAX_GROUP_DEPTH = 32;

/** A pattern the dialect refuses; `message` says why and where. */
export class RegexSyntaxError extends Error {
  constructor(message: string, index: number) {
    super(`${message} at offset ${index}`);
    this.name = 'RegexSyntaxError';
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '0': 0,
};
const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/-'.split(''));

/**
 * Parses `source` into an AST whose character sets are already case-folded for
 * lower-cased input. Throws `RegexSyntaxError` for anything outside the dialect.
 */
export function parseRegex(source: string): RegexNode {
  if (source.length > MAX_PATTERN_LENGTH)
    throw new RegexSyntaxError(`pattern longer than ${MAX_PATTERN_LENGTH} characters`, 0);
  const p = new Parser(source);
  const node = p.alternation(0);
  if (p.pos < source.length) throw new RegexSyntaxError('unmatched ")"', p.pos);
  return node;
}

class Parser {
  pos = 0;
  constructor(private readonly src: string) {}

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(message, this.pos);
  }

  alternation(depth: number): RegexNode {
    const branches = [this.sequence(depth)];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.sequence(depth));
    }
    return branches.length === 1 ? branches[0]! : { type: 'alt', branches };
  }

  private sequence(depth: number): RegexNode {
    const items: RegexNode[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      const atom = this.atom(depth);
      items.push(this.quantified(atom));
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? items[0]! : { type: 'seq', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') [min, max] = this.braces();
    else return atom;
    if (c !== '{') this.pos++;
    if (atom.type === 'assert' || atom.type === 'empty') this.fail('nothing to repeat');
    // A lazy suffix changes which match is found, never whether one exists.
    if (this.peek() === '?') this.pos++;
    const next = this.peek();
    if (next === '*' || next === '+' || next === '{') this.fail('quantifier after quantifier');
    return { type: 'repeat', node: atom, min, max };
  }

  private braces(): [number, number] {
    const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(this.src.slice(this.pos));
    if (m === null) this.fail('malformed {m,n} quantifier (or escape a literal "{")');
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT_COUNT || (max !== Infinity && max > MAX_REPEAT_COUNT))
      this.fail(`repeat count above ${MAX_REPEAT_COUNT}`);
    if (max < min) this.fail('{m,n} with n < m');
    this.pos += m[0].length;
    return [min, max];
  }

  private atom(depth: number): RegexNode {
    const c = this.peek()!;
    switch (c) {
      case '(':
        return this.group(depth);
      case '[':
        return { type: 'char', set: this.charClass() };
      case '.':
        this.pos++;
        return { type: 'char', set: DOT };
      case '^':
        this.pos++;
        return { type: 'assert', kind: 'start' };
      case '$':
        this.pos++;
        return { type: 'assert', kind: 'end' };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case '{':
      case '}':
      case ']':
        return this.fail(`unescaped "${c}"`);
      default: {
        const cp = this.src.codePointAt(this.pos)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return { type: 'char', set: addLowerCase([[cp, cp]]) };
      }
    }
  }

  private group(depth: number): RegexNode {
    if (depth >= MAX_GROUP_DEPTH) this.fail('groups nested too deeply');
    this.pos++;
    if (this.peek() === '?') {
      if (this.src[this.pos + 1] !== ':')
        this.fail('lookaround and named groups are not supported (linear-time dialect)');
      this.pos += 2;
    }
    const inner = this.alternation(depth + 1);
    if (this.peek() !== ')') this.fail('missing ")"');
    this.pos++;
    return inner;
  }

  private escape(): RegexNode {
    const c = this.src[this.pos + 1];
    if (c === 'b' || c === 'B') {
      this.pos += 2;
      return { type: 'assert', kind: c === 'b' ? 'word' : 'nonword' };
    }
    return { type: 'char', set: addLowerCase(this.classEscapeOrChar()) };
  }

  /** An escape usable both inside and outside a class; `pos` is at the backslash. */
  private classEscapeOrChar(): CharSet {
    this.pos++;
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash');
    this.pos++;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
    }
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      if (c === '0' && /[0-9]/.test(this.peek() ?? ''))
        this.fail('octal escapes are not supported');
      return [[simple, simple]];
    }
    if (c === 'x' || c === 'u') return this.hexEscape(c);
    if (SYNTAX_CHARS.has(c)) return [[c.codePointAt(0)!, c.codePointAt(0)!]];
    if (/[0-9]/.test(c)) this.fail('backreferences are not supported');
    return this.fail(`unknown escape "\\${c}"`);
  }

  private hexEscape(kind: 'x' | 'u'): CharSet {
    const rest = this.src.slice(this.pos);
    const m =
      kind === 'x'
        ? /^[0-9a-fA-F]{2}/.exec(rest)
        : /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\})/.exec(rest);
    if (m === null) this.fail(`malformed \\${kind} escape`);
    const cp = parseInt(m[0].replace(/[{}]/g, ''), 16);
    if (cp > 0x10ffff) this.fail('code point above U+10FFFF');
    this.pos += m[0].length;
    return [[cp, cp]];
  }

  private charClass(): CharSet {
    this.pos++;
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const parts: CharSet[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing "]"');
      if (c === ']' && !first) break;
      first = false;
      const lo = this.classAtom();
      if (
        this.peek() === '-' &&
        this.src[this.pos + 1] !== ']' &&
        this.src[this.pos + 1] !== undefined
      ) {
        this.pos++;
        const hi = this.classAtom();
        const [a, b] = [single(lo), single(hi)];
        if (a === undefined || b === undefined) this.fail('class escape used as a range end');
        if (b < a) this.fail('range out of order');
        parts.push([[a, b]]);
      } else parts.push(lo);
    }
    this.pos++;
    // Fold before negating: `[^a]` must refuse both "a" and "A" (input is lower-cased).
    const set = addLowerCase(union(...parts));
    return negated ? complement(set) : normalizeRanges(set);
  }

  private classAtom(): CharSet {
    const c = this.peek()!;
    if (c === '\\') {
      if (this.src[this.pos + 1] === 'b') this.fail('"\\b" inside a class is ambiguous; use \\x08');
      return this.classEscapeOrChar();
    }
    if (c === '[') this.fail('nested classes are not supported (escape "[")');
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return [[cp, cp]];
  }
}

function single(set: CharSet): number | undefined {
  const r = set[0];
  return set.length === 1 && r !== undefined && r[0] === r[1] ? r[0] : undefined;
}
