import { contains, isWordCodePoint } from './char-set.js';
import type { Nfa } from './nfa.js';

/**
 * A lazily built DFA over the combined NFA (the RE2 approach): each input code point
 * costs one table lookup once its transition is known, and at most one subset
 * construction (bounded by the NFA size) when it is not. Work is therefore linear in
 * the input whatever the patterns or the (attacker-controlled) text, which is what lets
 * the gateway evaluate a 256 KiB hostile body in milliseconds.
 *
 * Search is unanchored: the start states of every pattern are added at every position.
 * `^`, `$`, `\b`, `\B` are resolved when the next character (or the end) is known, from
 * the "previous character was a word character" bit kept in each DFA state.
 */

interface DfaState {
  readonly core: Int32Array;
  readonly atStart: boolean;
  readonly prevWord: boolean;
  /** Patterns that matched just before the character that led into this state. */
  readonly accepts: readonly number[];
  readonly ascii: Int32Array;
  readonly other: Map<number, number>;
  endAccepts?: readonly number[];
}

/** Bound on cached states; past it the cache is flushed (memory stays bounded). */
const MAX_STATES = 2000;
/** Bound on cached non-ASCII transitions of one state. */
const MAX_OTHER_TRANSITIONS = 4096;

interface Context {
  readonly atStart: boolean;
  readonly atEnd: boolean;
  readonly prevWord: boolean;
  readonly nextWord: boolean;
}

export class LazyDfa {
  private states: DfaState[] = [];
  private index = new Map<string, number>();
  private initial = -1;

  constructor(private readonly nfa: Nfa) {
    this.reset();
  }

  /** Number of patterns. */
  get size(): number {
    return this.nfa.starts.length;
  }

  /**
   * Scans `text` and sets `found[p] = 1` for every pattern p that matches somewhere in it.
   * Returns how many entries of `found` were newly set.
   */
  scan(text: string, found: Uint8Array): number {
    let added = 0;
    const mark = (ids: readonly number[]): void => {
      for (const id of ids)
        if (found[id] === 0) {
          found[id] = 1;
          added++;
        }
    };
    let cur = this.initial;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i++;
        }
      }
      const st = this.states[cur]!;
      let next = cp < 128 ? st.ascii[cp]! : (st.other.get(cp) ?? -1);
      if (next < 0) {
        next = this.step(cur, cp);
        cur = next;
      } else cur = next;
      const accepts = this.states[cur]!.accepts;
      if (accepts.length > 0) mark(accepts);
    }
    mark(this.endAccepts(cur));
    return added;
  }

  private reset(): void {
    this.states = [];
    this.index = new Map();
    const core = this.closure(this.nfa.starts, undefined).core;
    this.initial = this.intern(core, true, false, []);
  }

  private step(from: number, cp: number): number {
    let st = this.states[from]!;
    if (this.states.length >= MAX_STATES) {
      // Flush, keeping the state we are in (re-interned as the only survivor).
      const keep = st;
      this.reset();
      from = this.intern(keep.core, keep.atStart, keep.prevWord, keep.accepts);
      st = this.states[from]!;
    }
    const nextWord = isWordCodePoint(cp);
    const resolved = this.closure(st.core, {
      atStart: st.atStart,
      atEnd: false,
      prevWord: st.prevWord,
      nextWord,
    });
    const seeds: number[] = [...this.nfa.starts];
    for (const id of resolved.core) {
      const node = this.nfa.nodes[id]!;
      if (node.kind === 'char' && contains(node.set, cp)) seeds.push(node.next);
    }
    const target = this.intern(
      this.closure(seeds, undefined).core,
      false,
      nextWord,
      resolved.matches,
    );
    if (cp < 128) st.ascii[cp] = target;
    else {
      // Non-ASCII transitions are keyed per code point; bound the map per state.
      if (st.other.size >= MAX_OTHER_TRANSITIONS) st.other.clear();
      st.other.set(cp, target);
    }
    return target;
  }

  private endAccepts(id: number): readonly number[] {
    const st = this.states[id]!;
    if (st.endAccepts === undefined)
      st.endAccepts = this.closure(st.core, {
        atStart: st.atStart,
        atEnd: true,
        prevWord: st.prevWord,
        nextWord: false,
      }).matches;
    return st.endAccepts;
  }

  /**
   * Follows epsilon edges from `seeds`. Without a context, assertions are kept unresolved
   * in the result; with one, they are followed when they hold. Returns the reachable
   * char/assert/match nodes and the patterns whose match node was reached.
   */
  private closure(
    seeds: ArrayLike<number>,
    ctx: Context | undefined,
  ): { core: number[]; matches: number[] } {
    const seen = new Set<number>();
    const core: number[] = [];
    const matches: number[] = [];
    const stack = Array.from(seeds);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = this.nfa.nodes[id]!;
      if (node.kind === 'split') stack.push(...node.out);
      else if (node.kind === 'assert' && ctx !== undefined) {
        if (holds(node.test, ctx)) stack.push(node.next);
      } else {
        core.push(id);
        if (node.kind === 'match') matches.push(node.pattern);
      }
    }
    core.sort((a, b) => a - b);
    matches.sort((a, b) => a - b);
    return { core, matches };
  }

  private intern(
    core: ArrayLike<number>,
    atStart: boolean,
    prevWord: boolean,
    accepts: readonly number[],
  ): number {
    const key = `${Array.prototype.join.call(core, ',')}|${atStart ? 1 : 0}${prevWord ? 1 : 0}|${accepts.join(',')}`;
    const known = this.index.get(key);
    if (known !== undefined) return known;
    const id = this.states.length;
    this.states.push({
      core: Int32Array.from(core),
      atStart,
      prevWord,
      accepts,
      ascii: new Int32Array(128).fill(-1),
      other: new Map(),
    });
    this.index.set(key, id);
    return id;
  }
}

function holds(test: 'start' | 'end' | 'word' | 'nonword', ctx: Context): boolean {
  switch (test) {
    case 'start':
      return ctx.atStart;
    case 'end':
      return ctx.atEnd;
    case 'word':
      return ctx.prevWord !== ctx.nextWord;
    case 'nonword':
      return ctx.prevWord === ctx.nextWord;
  }
}
