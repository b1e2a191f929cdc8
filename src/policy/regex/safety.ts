import { type CharSet, intersects, union } from './char-set.js';
import type { RegexNode } from './parse.js';

/**
 * Static refusal of patterns that are super-linear on a backtracking engine. The gateway
 * itself matches on a linear-time automaton (`dfa.ts`), so this is defence in depth and
 * keeps accepted policies safe to reuse in other tools (grep, editors, log search). The
 * rules are conservative: they refuse some harmless patterns to refuse every classic
 * ReDoS shape (docs/policy.md lists them):
 *
 * 1. nested quantifier — a repeated expression (max > 1) containing another one: `(a+)+`;
 * 2. empty iteration — a repeated expression that can match the empty string: `(a?)*`;
 * 3. ambiguous alternation — under a repeat, branches that can start with the same
 *    character: `(a|aa)*`, `(\w|\d)+`;
 * 4. overlapping neighbours — a variable-length item followed (through optional items) by
 *    an item that can consume the same characters, either under a repeat (`(a?a)+`), at
 *    an iteration boundary (`(aa?)+`), or when both are unbounded (`\s*\s*`, `\w+\d+`);
 * 5. a pattern that matches the empty string (it would deny every event).
 */

/** Returns the first problem found, or undefined when the pattern is accepted. */
export function regexSafetyProblem(root: RegexNode): string | undefined {
  if (nullable(root)) return 'matches the empty string (it would deny every event)';
  return check(root, false);
}

function check(node: RegexNode, repeated: boolean): string | undefined {
  switch (node.type) {
    case 'empty':
    case 'char':
    case 'assert':
      return undefined;
    case 'alt':
      if (repeated) {
        const seen: CharSet[] = [];
        for (const b of node.branches) {
          const f = first(b);
          if (seen.some((s) => intersects(s, f)))
            return 'ambiguous alternation under a quantifier (branches can start with the same character)';
          seen.push(f);
        }
      }
      return firstProblem(node.branches, (b) => check(b, repeated));
    case 'seq':
      return (
        neighbourProblem(node.items, repeated) ??
        firstProblem(node.items, (i) => check(i, repeated))
      );
    case 'repeat': {
      if (node.max <= 1) return check(node.node, repeated);
      if (containsMultiRepeat(node.node))
        return 'nested quantifier (a repeated expression inside another)';
      if (nullable(node.node)) return 'a repeated expression that can match the empty string';
      const items = node.node.type === 'seq' ? node.node.items : [node.node];
      return iterationBoundaryProblem(items) ?? check(node.node, true);
    }
  }
}

function neighbourProblem(items: readonly RegexNode[], repeated: boolean): string | undefined {
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    if (a.type !== 'repeat' || a.min === a.max) continue;
    const aChars = chars(a.node);
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j]!;
      const clash = intersects(aChars, first(b));
      if (clash && (repeated || (a.max === Infinity && hasUnbounded(b))))
        return 'quantified items next to each other can match the same characters';
      if (!nullable(b)) break;
    }
  }
  return undefined;
}

function iterationBoundaryProblem(items: readonly RegexNode[]): string | undefined {
  const start = first({ type: 'seq', items });
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.type === 'repeat' && item.min !== item.max && intersects(chars(item.node), start))
      return 'the end of one iteration can also start the next (ambiguous repeat)';
    if (!nullable(item)) break;
  }
  return undefined;
}

function firstProblem<T>(list: readonly T[], f: (x: T) => string | undefined): string | undefined {
  for (const x of list) {
    const p = f(x);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** True when the node can match without consuming a character. */
export function nullable(node: RegexNode): boolean {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return true;
    case 'char':
      return false;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.branches.some(nullable);
    case 'repeat':
      return node.min === 0 || nullable(node.node);
  }
}

/** Characters that can be consumed first. */
function first(node: RegexNode): CharSet {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return [];
    case 'char':
      return node.set;
    case 'alt':
      return union(...node.branches.map(first));
    case 'repeat':
      return first(node.node);
    case 'seq': {
      const sets: CharSet[] = [];
      for (const item of node.items) {
        sets.push(first(item));
        if (!nullable(item)) break;
      }
      return union(...sets);
    }
  }
}

/** Every character the node can consume anywhere. */
function chars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return [];
    case 'char':
      return node.set;
    case 'alt':
      return union(...node.branches.map(chars));
    case 'seq':
      return union(...node.items.map(chars));
    case 'repeat':
      return chars(node.node);
  }
}

function containsMultiRepeat(node: RegexNode): boolean {
  return someNode(node, (n) => n.type === 'repeat' && n.max > 1);
}

function hasUnbounded(node: RegexNode): boolean {
  return someNode(node, (n) => n.type === 'repeat' && n.max === Infinity);
}

function someNode(node: RegexNode, pred: (n: RegexNode) => boolean): boolean {
  if (pred(node)) return true;
  if (node.type === 'seq') return node.items.some((i) => someNode(i, pred));
  if (node.type === 'alt') return node.branches.some((b) => someNode(b, pred));
  if (node.type === 'repeat') return someNode(node.node, pred);
  return false;
}
