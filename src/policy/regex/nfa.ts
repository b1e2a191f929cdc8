import type { CharSet } from './char-set.js';
import type { RegexNode } from './parse.js';

/**
 * Thompson construction: every deny pattern of a policy becomes one branch of a single
 * NFA, so one left-to-right pass over a string tests all patterns at once (`dfa.ts`).
 */

export type NfaNode =
  | { readonly kind: 'char'; readonly set: CharSet; readonly next: number }
  | { readonly kind: 'split'; out: number[] }
  | {
      readonly kind: 'assert';
      readonly test: 'start' | 'end' | 'word' | 'nonword';
      readonly next: number;
    }
  | { readonly kind: 'match'; readonly pattern: number };

export interface Nfa {
  readonly nodes: readonly NfaNode[];
  /** Start node of each pattern. */
  readonly starts: readonly number[];
}

/** Most automaton nodes one pattern may expand to (counted repeats multiply). */
export const MAX_NODES_PER_PATTERN = 5000;

/**
 * Builds the combined NFA of `patterns` (or of those numbered in `members`; match nodes
 * keep the pattern's number in `patterns`). Throws RangeError when one is too big.
 */
export function buildNfa(patterns: readonly RegexNode[], members?: readonly number[]): Nfa {
  const nodes: NfaNode[] = [];
  const chosen = members ?? patterns.map((_, i) => i);
  const starts = chosen.map((pattern) => {
    const ast = patterns[pattern]!;
    const before = nodes.length;
    const add = (n: NfaNode): number => {
      if (nodes.length - before >= MAX_NODES_PER_PATTERN)
        throw new RangeError(
          `pattern expands to more than ${MAX_NODES_PER_PATTERN} automaton states`,
        );
      nodes.push(n);
      return nodes.length - 1;
    };
    const match = add({ kind: 'match', pattern });
    return compileNode(ast, match, add);
  });
  return { nodes, starts };
}

/** Compiles `node` so that it continues at `next`; returns its entry node. */
function compileNode(node: RegexNode, next: number, add: (n: NfaNode) => number): number {
  switch (node.type) {
    case 'empty':
      return next;
    case 'char':
      return add({ kind: 'char', set: node.set, next });
    case 'assert':
      return add({ kind: 'assert', test: node.kind, next });
    case 'alt':
      return add({ kind: 'split', out: node.branches.map((b) => compileNode(b, next, add)) });
    case 'seq': {
      let cur = next;
      for (let i = node.items.length - 1; i >= 0; i--) cur = compileNode(node.items[i]!, cur, add);
      return cur;
    }
    case 'repeat': {
      let cur = next;
      if (node.max === Infinity) {
        const loop: NfaNode = { kind: 'split', out: [] };
        const loopId = add(loop);
        loop.out = [compileNode(node.node, loopId, add), next];
        cur = loopId;
      } else {
        for (let k = node.min; k < node.max; k++) {
          const after = cur;
          cur = add({ kind: 'split', out: [compileNode(node.node, after, add), next] });
        }
      }
      for (let k = 0; k < node.min; k++) cur = compileNode(node.node, cur, add);
      return cur;
    }
  }
}
