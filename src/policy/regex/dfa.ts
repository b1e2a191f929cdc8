import { contains, isWordCodePoint } from './char-set.js';
import { type CharClasses, buildClasses } from './classes.js';
import type { Nfa } from './nfa.js';

/**
 * The deny patterns' automaton: the subset construction of the combined NFA (as RE2
 * does), over code-point equivalence classes (`classes.ts`), with a flat transition table
 * (`Int32Array`, state × class). Each input character costs a class lookup and a table
 * lookup. At load (`explore`) every state reachable from the start is built, so evaluation
 * never constructs a state at all; a policy whose automaton does not fit is refused
 * (`pattern-set.ts`), because an attacker could otherwise drive matching through new
 * states at every character. States are still built on demand if a transition is
 * unknown, and each construction is charged to the caller's `ScanBudget`.
 *
 * Search is unanchored: the start states of every pattern are added at every position.
 * `^`, `$`, `\b`, `\B` are resolved when the next character (or the end) is known, from
 * the "previous character was a word character" bit kept in each state.
 */

/** Work left for building states during one evaluation (one unit ≈ one NFA node visited). */
export interface ScanBudget {
  work: number;
}

/** Most states the automaton may have; also the cache bound of the lazy fallback. */
export const MAX_DFA_STATES = 8192;

const AT_START = 1;
const AT_END = 2;
const PREV_WORD = 4;
const NEXT_WORD = 8;

export class LazyDfa {
  readonly classes: CharClasses;
  private readonly k: number;
  private readonly classWord: Uint8Array;
  private trans = new Int32Array(0);
  private cores: Int32Array[] = [];
  private flags = new Uint8Array(0);
  private accepts: (readonly number[])[] = [];
  private endAcc: (readonly number[] | undefined)[] = [];
  private index = new Map<string, number>();
  private count = 0;
  private initial = 0;
  private spent = 0;
  private readonly seen: Int32Array;
  /** Closure work stack: each node is pushed at most once per edge into it. */
  private readonly stack: Int32Array;
  private readonly accept: Uint8Array;
  private readonly hasAssert: boolean;
  private stamp = 0;
  private startCore: readonly number[] = [];

  constructor(
    private readonly nfa: Nfa,
    private readonly maxStates = MAX_DFA_STATES,
  ) {
    const sets = nfa.nodes.flatMap((n) => (n.kind === 'char' ? [n.set] : []));
    this.classes = buildClasses(sets);
    this.k = this.classes.count;
    this.classWord = Uint8Array.from(this.classes.representative, (cp) =>
      isWordCodePoint(cp) ? 1 : 0,
    );
    this.seen = new Int32Array(nfa.nodes.length);
    const edges = nfa.nodes.reduce(
      (n, node) => n + (node.kind === 'split' ? node.out.length : 1),
      0,
    );
    this.stack = new Int32Array(edges + nfa.nodes.length + nfa.starts.length + 1);
    // Which classes each char node accepts, so building a state needs no set searches.
    this.accept = new Uint8Array(nfa.nodes.length * this.k);
    nfa.nodes.forEach((node, id) => {
      if (node.kind !== 'char') return;
      for (let c = 0; c < this.k; c++)
        if (contains(node.set, this.classes.representative[c]!)) this.accept[id * this.k + c] = 1;
    });
    this.hasAssert = nfa.nodes.some((n) => n.kind === 'assert');
    this.reset();
  }

  /** Total building work so far (NFA nodes visited while building states). */
  get work(): number {
    return this.spent;
  }

  /** Number of states built so far. */
  get states(): number {
    return this.count;
  }

  /**
   * Builds every state reachable from the start, spending at most `maxWork` units. True
   * when the automaton is complete (evaluation will then never build a state).
   */
  explore(maxWork: number): boolean {
    const until = this.spent + maxWork;
    for (let s = 0; s < this.count; s++) {
      for (let c = 0; c < this.k; c++) {
        if (this.trans[s * this.k + c]! >= 0) continue;
        if (this.count >= this.maxStates || this.spent > until) return false;
        this.step(s, c);
      }
      this.endAccepts(s);
      if (this.spent > until) return false;
    }
    return true;
  }

  /**
   * Scans `text` and sets `found[p] = 1` for every pattern p that matches somewhere in it.
   * Returns false, leaving the scan incomplete, when building states needed more work than
   * `budget` had left.
   */
  scan(text: string, found: Uint8Array, budget: ScanBudget): boolean {
    const bmp = this.classes.bmp;
    const k = this.k;
    let trans = this.trans;
    let flags = this.flags;
    let cur = this.initial;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const unit = text.charCodeAt(i);
      let cls: number;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < n) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cls = this.classes.classOf(((unit - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
          i++;
        } else cls = bmp[unit]!;
      } else cls = bmp[unit]!;
      let next = trans[cur * k + cls]!;
      if (next < 0) {
        const before = this.spent;
        next = this.step(cur, cls);
        budget.work -= this.spent - before;
        if (budget.work < 0) return false;
        trans = this.trans;
        flags = this.flags;
      }
      cur = next;
      if (flags[cur]! >= 16) mark(this.accepts[cur]!, found);
    }
    const before = this.spent;
    mark(this.endAccepts(cur), found);
    budget.work -= this.spent - before;
    return budget.work >= 0;
  }

  /**
   * For each pattern of this automaton, a shortest text (over the classes `pick` gives a
   * character for) that it matches, found by a breadth-first walk of the complete
   * automaton; a pattern absent from `texts` can match no such text. `everything` lists
   * the patterns matching the empty text. For `policy check`; never used on the request path.
   */
  examples(pick: (cls: number) => string | undefined): {
    texts: Map<number, string>;
    everything: number[];
  } {
    const texts = new Map<number, string>();
    const chars: (string | undefined)[] = [];
    for (let c = 0; c < this.k; c++) chars.push(pick(c));
    const next = (s: number, c: number): number => {
      const t = this.trans[s * this.k + c]!;
      return t >= 0 ? t : this.step(s, c);
    };
    const everything = [...this.endAccepts(this.initial)];
    const path = new Map<number, string>([[this.initial, '']]);
    const queue = [this.initial];
    const note = (patterns: readonly number[], text: string): void => {
      for (const p of patterns) if (!texts.has(p)) texts.set(p, text);
    };
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      const text = path.get(s)!;
      note(this.endAccepts(s), text);
      for (let c = 0; c < this.k; c++) {
        const ch = chars[c];
        if (ch === undefined) continue;
        const t = next(s, c);
        note(this.accepts[t]!, text + ch);
        if (!path.has(t)) {
          path.set(t, text + ch);
          queue.push(t);
        }
      }
    }
    return { texts, everything };
  }

  private reset(): void {
    this.count = 0;
    this.index = new Map();
    this.cores = [];
    this.accepts = [];
    this.endAcc = [];
    this.trans = new Int32Array(64 * this.k).fill(-1);
    this.flags = new Uint8Array(64);
    this.startCore = this.closure(this.nfa.starts, -1).core;
    this.initial = this.intern(this.startCore, AT_START, []);
  }

  private step(from: number, cls: number): number {
    if (this.count >= this.maxStates) {
      // Flush, keeping the state we are in (re-interned as the only survivor).
      const core = this.cores[from]!;
      const f = this.flags[from]! & (AT_START | PREV_WORD);
      const acc = this.accepts[from]!;
      this.reset();
      from = this.intern(core, f, acc);
    }
    const flags = this.flags[from]!;
    const nextWord = this.classWord[cls] === 1;
    const core = this.cores[from]!;
    // Without assertions the context changes nothing: the core is its own resolution.
    const resolved = this.hasAssert
      ? this.closure(core, (flags & (AT_START | PREV_WORD)) | (nextWord ? NEXT_WORD : 0))
      : { core, matches: this.matchesOf(core) };
    const seeds: number[] = [];
    const k = this.k;
    for (let i = 0; i < resolved.core.length; i++) {
      const id = resolved.core[i]!;
      this.spent++;
      if (this.accept[id * k + cls] === 1)
        seeds.push((this.nfa.nodes[id] as { next: number }).next);
    }
    // Every state contains the start closure (unanchored search); it is computed once.
    const target = this.intern(
      mergeSorted(this.startCore, this.closure(seeds, -1).core),
      nextWord ? PREV_WORD : 0,
      resolved.matches,
    );
    this.trans[from * this.k + cls] = target;
    return target;
  }

  private matchesOf(core: ArrayLike<number>): number[] {
    const out: number[] = [];
    for (let i = 0; i < core.length; i++) {
      const node = this.nfa.nodes[core[i]!]!;
      if (node.kind === 'match') out.push(node.pattern);
    }
    return out.sort((a, b) => a - b);
  }

  private endAccepts(id: number): readonly number[] {
    let acc = this.endAcc[id];
    if (acc === undefined) {
      acc = this.closure(
        this.cores[id]!,
        (this.flags[id]! & (AT_START | PREV_WORD)) | AT_END,
      ).matches;
      this.endAcc[id] = acc;
    }
    return acc;
  }

  /**
   * Follows epsilon edges from `seeds`. With `ctx` -1, assertions are kept unresolved in
   * the result; otherwise they are followed when they hold in context `ctx`. Returns the
   * reachable char/assert/match nodes and the patterns whose match node was reached.
   */
  private closure(seeds: ArrayLike<number>, ctx: number): { core: number[]; matches: number[] } {
    const stamp = ++this.stamp;
    const seen = this.seen;
    const core: number[] = [];
    const matches: number[] = [];
    const stack = this.stack;
    let top = 0;
    for (let i = 0; i < seeds.length; i++) stack[top++] = seeds[i]!;
    while (top > 0) {
      const id = stack[--top]!;
      if (seen[id] === stamp) continue;
      seen[id] = stamp;
      this.spent++;
      const node = this.nfa.nodes[id]!;
      if (node.kind === 'split') for (const o of node.out) stack[top++] = o;
      else if (node.kind === 'assert' && ctx >= 0) {
        if (holds(node.test, ctx)) stack[top++] = node.next;
      } else {
        core.push(id);
        if (node.kind === 'match') matches.push(node.pattern);
      }
    }
    core.sort((a, b) => a - b);
    matches.sort((a, b) => a - b);
    return { core, matches };
  }

  private intern(core: ArrayLike<number>, flags: number, accepts: readonly number[]): number {
    const key = stateKey(core, flags, accepts);
    const known = this.index.get(key);
    if (known !== undefined) return known;
    const id = this.count++;
    if (id * this.k >= this.trans.length) {
      // Grow the flat tables by doubling (bounded by maxStates).
      const trans = new Int32Array(this.trans.length * 2).fill(-1);
      trans.set(this.trans);
      this.trans = trans;
      const f = new Uint8Array(this.flags.length * 2);
      f.set(this.flags);
      this.flags = f;
    }
    this.cores[id] = Int32Array.from(core);
    this.flags[id] = flags | (accepts.length > 0 ? 16 : 0);
    this.accepts[id] = accepts;
    this.index.set(key, id);
    return id;
  }
}

/** A compact map key for a state: its core, flags and accepts as UTF-16 code units. */
function stateKey(core: ArrayLike<number>, flags: number, accepts: readonly number[]): string {
  const units: number[] = [flags];
  for (let i = 0; i < core.length; i++) units.push(core[i]! & 0xffff, core[i]! >>> 16);
  units.push(0xffff);
  for (const a of accepts) units.push(a);
  let key = '';
  for (let i = 0; i < units.length; i += 4096)
    key += String.fromCharCode(...units.slice(i, i + 4096));
  return key;
}

/** Union of two ascending arrays, ascending and without duplicates. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    if (x <= y) {
      out.push(x);
      i++;
      if (x === y) j++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

function mark(ids: readonly number[], found: Uint8Array): void {
  for (const id of ids) found[id] = 1;
}

function holds(test: 'start' | 'end' | 'word' | 'nonword', ctx: number): boolean {
  const prev = (ctx & PREV_WORD) !== 0;
  const next = (ctx & NEXT_WORD) !== 0;
  switch (test) {
    case 'start':
      return (ctx & AT_START) !== 0;
    case 'end':
      return (ctx & AT_END) !== 0;
    case 'word':
      return prev !== next;
    case 'nonword':
      return prev === next;
  }
}
