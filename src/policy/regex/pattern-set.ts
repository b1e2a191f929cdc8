import type { CharClasses } from './classes.js';
import { LazyDfa, type ScanBudget } from './dfa.js';
import { requiredLiterals } from './literals.js';
import { buildNfa } from './nfa.js';
import { RegexSyntaxError, type RegexNode, parseRegex } from './parse.js';
import { regexSafetyProblem } from './safety.js';

export type { ScanBudget } from './dfa.js';

/** Why pattern number `index` (-1: the patterns together) was refused. */
export interface PatternProblem {
  readonly index: number;
  readonly message: string;
}

/** All deny patterns of one revision, matched together in one linear pass. */
export interface PatternSet {
  /** Number of patterns. */
  readonly size: number;
  /** States of the complete automaton (built at load). */
  readonly states: number;
  /**
   * Sets `found[p] = 1` for every pattern p matching somewhere in one of `texts` (each text
   * on its own: no match spans two). False when the budget ran out before the end of the
   * texts (the caller must then fail closed).
   */
  scan(texts: readonly string[], found: Uint8Array, budget: ScanBudget): boolean;
  /** Numbers of the patterns that match somewhere in `text`, ascending (no budget). */
  matches(text: string): number[];
  /**
   * Per pattern: a shortest text over the characters `pick` gives for each class of a
   * group's automaton (undefined: none matches) and whether it matches the empty text. For `policy check`'s explanations.
   */
  examples(pick: (classes: CharClasses, cls: number) => string | undefined): {
    texts: (string | undefined)[];
    everything: boolean[];
  };
}

/**
 * Load-time cost estimate. Building a pattern's complete automaton may visit at most
 * `MAX_PATTERN_WORK` NFA nodes and make at most `MAX_PATTERN_STATES` states; a pattern over
 * either — typically wide counted repeats such as `a.{40}b`, which need a state for every
 * subset of the 40 positions — is refused, because an attacker could otherwise make every
 * character of an event build a new state. Patterns are then merged greedily into groups
 * whose combined automaton stays under `MAX_GROUP_STATES` (independent patterns multiply
 * each other's states when merged), and each group costs one table lookup per character.
 * At most `MAX_GROUPS` groups and `MAX_BUILD_WORK` of building in total: evaluation of a
 * 256 KiB event then stays within milliseconds, and a load within a few hundred.
 */
export const MAX_PATTERN_STATES = 1024;
export const MAX_PATTERN_WORK = 500_000;
export const MAX_GROUP_STATES = 384;
export const MAX_GROUPS = 16;
export const MAX_BUILD_WORK = 3_000_000;

const TOO_EXPENSIVE =
  'the automaton of this pattern is too large (evaluation could be expensive): use fewer or narrower counted repeats';
const TOO_MANY =
  'the patterns together need too large an automaton (evaluation could be expensive): use fewer patterns or fewer counted repeats and gaps';

/**
 * Parses, safety-checks and compiles `sources` (regex texts in the restricted dialect),
 * then builds the complete automaton. Returns either the compiled set or every problem,
 * each naming its pattern index.
 */
export function compilePatternSet(sources: readonly string[]): CompiledPatterns {
  // Revisions usually change clients or quorum, not patterns: reuse the last automata
  // (complete, so immutable) instead of building them again on every reload.
  const key = JSON.stringify(sources);
  const cached = recent.get(key);
  if (cached !== undefined) return cached;
  const result = compileUncached(sources);
  recent.set(key, result);
  if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
  return result;
}

type CompiledPatterns = { ok: true; set: PatternSet } | { ok: false; problems: PatternProblem[] };

/** How many recent pattern lists keep their compiled automata. */
const RECENT = 4;
const recent = new Map<string, CompiledPatterns>();

function compileUncached(sources: readonly string[]): CompiledPatterns {
  const problems: PatternProblem[] = [];
  const asts: RegexNode[] = [];
  sources.forEach((source, index) => {
    try {
      const ast = parseRegex(source);
      const problem = regexSafetyProblem(ast);
      if (problem === undefined) asts.push(ast);
      else problems.push({ index, message: `super-linear or unsafe pattern: ${problem}` });
    } catch (err) {
      if (!(err instanceof RegexSyntaxError)) throw err;
      problems.push({ index, message: `invalid pattern: ${err.message}` });
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  let groups: Group[];
  try {
    const built = buildGroups(asts, problems);
    if (built === undefined) return { ok: false, problems };
    groups = built;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, problems: [{ index: -1, message: err.message }] };
  }
  const size = sources.length;
  return {
    ok: true,
    set: {
      size,
      states: groups.reduce((n, g) => n + g.dfa.states, 0),
      scan(texts, found, budget): boolean {
        // Prefilter: no pattern of a group can match a text holding none of its literals.
        // The short texts are first searched together, joined: an event's handful of short
        // strings then costs one search per literal instead of one per literal and string
        // (issue 19). A long text is searched alone, so it is never copied.
        const joined = texts.filter((t) => t.length <= JOIN_LIMIT).join('\n');
        for (const { dfa, literals } of groups) {
          const shortMayMatch = literals === undefined || containsAny(joined, literals);
          for (const text of texts) {
            if (literals !== undefined) {
              if (text.length <= JOIN_LIMIT && !shortMayMatch) continue;
              if (!containsAny(text, literals)) continue;
            }
            if (!dfa.scan(text, found, budget)) return false;
          }
        }
        return true;
      },
      matches(text: string): number[] {
        // The reference: every automaton runs, no prefilter.
        const found = new Uint8Array(size);
        for (const g of groups) g.dfa.scan(text, found, { work: Infinity });
        const out: number[] = [];
        for (let i = 0; i < size; i++) if (found[i] === 1) out.push(i);
        return out;
      },
      examples(pick) {
        const texts: (string | undefined)[] = new Array<string | undefined>(size).fill(undefined);
        const everything: boolean[] = new Array<boolean>(size).fill(false);
        for (const { dfa: g } of groups) {
          const r = g.examples((cls) => pick(g.classes, cls));
          for (const [p, text] of r.texts) texts[p] = text;
          for (const p of r.everything) everything[p] = true;
        }
        return { texts, everything };
      },
    },
  };
}

/**
 * Checks each pattern alone, then merges them greedily into groups (in policy order) whose
 * complete automaton fits `MAX_GROUP_STATES`. Returns undefined after recording problems.
 */
function buildGroups(asts: readonly RegexNode[], problems: PatternProblem[]): Group[] | undefined {
  let work = 0;
  const explore = (
    members: readonly number[],
    maxStates: number,
    maxWork: number,
  ): LazyDfa | undefined => {
    const dfa = new LazyDfa(buildNfa(asts, members), maxStates);
    const before = dfa.work;
    const complete = dfa.explore(Math.min(maxWork, MAX_BUILD_WORK - work));
    work += dfa.work - before;
    return complete ? dfa : undefined;
  };
  asts.forEach((_, index) => {
    try {
      if (explore([index], MAX_PATTERN_STATES, MAX_PATTERN_WORK) === undefined)
        problems.push({ index, message: TOO_EXPENSIVE });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      problems.push({ index, message: err.message });
    }
  });
  if (problems.length > 0) return undefined;
  const groups: Group[] = [];
  const close = (dfa: LazyDfa, of: readonly number[]): void => {
    groups.push({ dfa, literals: groupLiterals(of.map((i) => asts[i]!)) });
  };
  let members: number[] = [];
  let current: LazyDfa | undefined;
  for (let index = 0; index < asts.length; index++) {
    const merged =
      members.length === 0
        ? undefined
        : explore([...members, index], MAX_GROUP_STATES, MAX_PATTERN_WORK);
    if (merged !== undefined) {
      members.push(index);
      current = merged;
      continue;
    }
    if (current !== undefined) close(current, members);
    members = [index];
    current = explore(members, MAX_PATTERN_STATES, MAX_PATTERN_WORK);
    if (current === undefined || groups.length >= MAX_GROUPS) {
      problems.push({ index: -1, message: TOO_MANY });
      return undefined;
    }
  }
  if (current !== undefined) close(current, members);
  return groups;
}

/** One merged automaton and the literals one of which any match of its patterns contains. */
interface Group {
  readonly dfa: LazyDfa;
  /** Undefined: some pattern of the group requires no literal, so the automaton always runs. */
  readonly literals: readonly string[] | undefined;
}

/** Most literals searched before a group's automaton; beyond this the automaton just runs. */
const MAX_GROUP_LITERALS = 32;

function groupLiterals(asts: readonly RegexNode[]): readonly string[] | undefined {
  const all = new Set<string>();
  for (const ast of asts) {
    const literals = requiredLiterals(ast);
    if (literals === undefined) return undefined;
    for (const l of literals) all.add(l);
  }
  return all.size === 0 || all.size > MAX_GROUP_LITERALS ? undefined : [...all];
}

/**
 * Texts up to this length are searched for literals joined together; a longer one is
 * searched on its own, so the join never copies a large text (the bound was not tuned).
 */
const JOIN_LIMIT = 4096;

function containsAny(text: string, literals: readonly string[]): boolean {
  for (let i = 0; i < literals.length; i++) if (text.includes(literals[i]!)) return true;
  return false;
}
