import type { CharSet } from './char-set.js';
import type { RegexNode } from './parse.js';

/**
 * Literal prefilter (issue 19): for a pattern's AST, a small set of strings such that
 * every text the pattern matches anywhere contains at least one of them as a substring.
 * The scan then runs a group's automaton only when one of its patterns' literals occurs in
 * the (folded) text — `indexOf` runs at memory speed, the automaton at one table lookup
 * per character.
 *
 * Soundness is the whole point: a literal set that a match could avoid would let an event
 * through unexamined. Every rule below only ever derives a requirement from the structure
 * of the match itself:
 *
 * - `exact(n)`: the complete, finite set of strings `n` can match (undefined when it is
 *   large or infinite). Assertions and the empty node match the empty string only (they
 *   consume nothing), so their exact set is `[""]`; a character class is its code points
 *   when there are few of them.
 * - `required(n)`: a set of which every match of `n` contains at least one member
 *   (undefined: nothing is required). A sequence's match contains each item's match, and
 *   consecutive items' exact sets concatenate; an alternation needs the union of its
 *   branches' requirements (any branch without one makes the whole unconstrained); a
 *   repeat with `min >= 1` contains at least one match of its body; `min = 0` requires
 *   nothing.
 *
 * A set containing `""` constrains nothing and is dropped. The text the automaton scans
 * is the same string `indexOf` searches, so a match (a run of code points) is always a
 * substring of it; over-approximating (a literal found where the automaton then matches
 * nothing) only costs the scan that would have run anyway.
 */

/** Most strings kept in one exact or required set. */
const MAX_SET = 16;
/** Most code points of a character class taken as alternatives. */
const MAX_CLASS = 4;
/** Longest literal built by concatenation (longer runs are cut into separate pieces). */
const MAX_LITERAL = 16;

interface Info {
  /** Every string the node can match (finite, small); undefined: unknown or too many. */
  readonly exact: readonly string[] | undefined;
  /** Every match contains one of these; undefined: nothing known to be required. */
  readonly required: readonly string[] | undefined;
}

const NOTHING: Info = { exact: undefined, required: undefined };
const EMPTY: Info = { exact: [''], required: undefined };

/**
 * Strings of which every match of `ast` contains at least one, or undefined when the
 * pattern requires no usable literal (then its automaton always runs).
 */
export function requiredLiterals(ast: RegexNode): readonly string[] | undefined {
  return best(info(ast));
}

function info(node: RegexNode): Info {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return EMPTY;
    case 'char': {
      const chars = codePoints(node.set);
      return chars === undefined ? NOTHING : { exact: chars, required: useful(chars) };
    }
    case 'alt': {
      const parts = node.branches.map(info);
      let exact: string[] | undefined = [];
      let required: string[] | undefined = [];
      for (const part of parts) {
        exact =
          exact !== undefined && part.exact !== undefined ? [...exact, ...part.exact] : undefined;
        const need = best(part);
        required =
          required !== undefined && need !== undefined ? [...required, ...need] : undefined;
      }
      return { exact: bounded(exact), required: useful(bounded(required)) };
    }
    case 'seq': {
      const candidates: (readonly string[] | undefined)[] = [];
      let run: readonly string[] = [''];
      let exactAll = true;
      for (const item of node.items.map(info)) {
        const joined: readonly string[] | undefined =
          item.exact === undefined ? undefined : concat(run, item.exact);
        if (joined !== undefined) {
          run = joined;
          continue;
        }
        // The run so far is a substring of every match; start a new one after this item.
        candidates.push(run);
        if (item.exact === undefined) {
          exactAll = false;
          candidates.push(best(item));
          run = [''];
        } else {
          // Exact but too many or too long together: it starts the next run on its own.
          exactAll = false;
          run = item.exact;
        }
      }
      candidates.push(run);
      return { exact: exactAll ? run : undefined, required: pick(candidates) };
    }
    case 'repeat': {
      const body = info(node.node);
      if (node.min === 0) return node.max === 0 ? EMPTY : { exact: undefined, required: undefined };
      // At least one copy of the body is in every match.
      let exact: readonly string[] | undefined;
      if (node.max === node.min && body.exact !== undefined) {
        exact = [''];
        for (let i = 0; i < node.min && exact !== undefined; i++) exact = concat(exact, body.exact);
      }
      return { exact, required: pick([best(body), exact]) };
    }
  }
}

/** The node's best requirement: its exact set or its required set, whichever is better. */
function best(i: Info): readonly string[] | undefined {
  return pick([useful(i.exact), i.required]);
}

/** The most selective usable set: longest shortest literal, then fewest literals. */
function pick(sets: readonly (readonly string[] | undefined)[]): readonly string[] | undefined {
  let chosen: readonly string[] | undefined;
  let score = -1;
  for (const raw of sets) {
    const set = useful(raw);
    if (set === undefined) continue;
    const shortest = Math.min(...set.map((s) => s.length));
    const s = shortest * 1000 - set.length;
    if (s > score) [chosen, score] = [set, s];
  }
  return chosen;
}

/** The set without duplicates; undefined when empty, too big or containing "" (no constraint). */
function useful(set: readonly string[] | undefined): readonly string[] | undefined {
  const b = bounded(set);
  if (b === undefined || b.length === 0 || b.includes('')) return undefined;
  return b;
}

function bounded(set: readonly string[] | undefined): readonly string[] | undefined {
  if (set === undefined) return undefined;
  const unique = [...new Set(set)];
  return unique.length > MAX_SET ? undefined : unique;
}

/** Every `a + b`; undefined when there would be too many or a literal too long. */
function concat(a: readonly string[], b: readonly string[]): readonly string[] | undefined {
  if (a.length * b.length > MAX_SET) return undefined;
  const out: string[] = [];
  for (const x of a)
    for (const y of b) {
      if (x.length + y.length > MAX_LITERAL) return undefined;
      out.push(x + y);
    }
  return bounded(out);
}

/** The class's members as one-character strings, or undefined when there are many. */
function codePoints(set: CharSet): string[] | undefined {
  let n = 0;
  for (const [from, to] of set) n += to - from + 1;
  if (n === 0 || n > MAX_CLASS) return undefined;
  const out: string[] = [];
  for (const [from, to] of set)
    for (let cp = from; cp <= to; cp++) out.push(String.fromCodePoint(cp));
  return out;
}
