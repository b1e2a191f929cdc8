import { LazyDfa } from './dfa.js';
import { buildNfa } from './nfa.js';
import { RegexSyntaxError, type RegexNode, parseRegex } from './parse.js';
import { regexSafetyProblem } from './safety.js';

/** Why pattern number `index` was refused. */
export interface PatternProblem {
  readonly index: number;
  readonly message: string;
}

/** All deny patterns of one revision, matched together in one linear pass. */
export interface PatternSet {
  /** Numbers of the patterns that match somewhere in `text`, ascending. */
  matches(text: string): number[];
}

/**
 * Parses, safety-checks and compiles `sources` (regex texts in the restricted dialect).
 * Returns either the compiled set or every problem, each naming its pattern index.
 */
export function compilePatternSet(
  sources: readonly string[],
): { ok: true; set: PatternSet } | { ok: false; problems: PatternProblem[] } {
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
  let dfa: LazyDfa;
  try {
    dfa = new LazyDfa(buildNfa(asts));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, problems: [{ index: -1, message: err.message }] };
  }
  const size = sources.length;
  return {
    ok: true,
    set: {
      matches(text: string): number[] {
        if (size === 0) return [];
        const found = new Uint8Array(size);
        dfa.scan(text, found);
        const out: number[] = [];
        for (let i = 0; i < size; i++) if (found[i] === 1) out.push(i);
        return out;
      },
    },
  };
}
