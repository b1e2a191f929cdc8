/**
 * Sets of Unicode code points as sorted, non-overlapping, non-adjacent inclusive ranges.
 * The regex compiler builds every character test from these so that it can both match
 * (binary search) and reason about overlap (for the ambiguity checks in `safety.ts`).
 */

/** Inclusive `[from, to]` code point ranges, sorted and merged. */
export type CharSet = readonly (readonly [number, number])[];

export const MAX_CODE_POINT = 0x10ffff;

/** Sorts and merges ranges into canonical form. */
export function normalizeRanges(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** Every code point not in `set`. */
export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [from, to] of set) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** Union of several sets. */
export function union(...sets: CharSet[]): CharSet {
  return normalizeRanges(sets.flat());
}

/** True when the two sets share at least one code point. */
export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x[1] < y[0]) i++;
    else if (y[1] < x[0]) j++;
    else return true;
  }
  return false;
}

/** Membership by binary search. */
export function contains(set: CharSet, cp: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = set[mid]!;
    if (cp < r[0]) hi = mid - 1;
    else if (cp > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Ranges wider than this are not case-folded code point by code point (see docs/policy.md). */
const FOLD_LIMIT = 1024;

/**
 * Adds the lower-case form of every member, because evaluation lower-cases its input
 * (docs/protocol.md §4: regexes are case-insensitive). Wide ranges are left alone: they are
 * classes such as `[^/]` that already contain both cases.
 */
export function addLowerCase(set: CharSet): CharSet {
  const extra: [number, number][] = [];
  for (const [from, to] of set) {
    if (to - from > FOLD_LIMIT) continue;
    for (let cp = from; cp <= to; cp++) {
      const lower = String.fromCodePoint(cp).toLowerCase();
      const lcp = lower.codePointAt(0)!;
      // Only single-code-point mappings can be matched by one character step.
      if (lower.length === String.fromCodePoint(lcp).length && lcp !== cp) extra.push([lcp, lcp]);
    }
  }
  return extra.length === 0 ? set : union(set, extra);
}

export const DIGIT: CharSet = [[0x30, 0x39]];
export const WORD: CharSet = normalizeRanges([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** ECMAScript `\s`: WhiteSpace and LineTerminator. */
export const SPACE: CharSet = normalizeRanges([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
/** ECMAScript `.` without the `s` flag: anything but a line terminator. */
export const DOT: CharSet = complement(
  normalizeRanges([
    [0x0a, 0x0a],
    [0x0d, 0x0d],
    [0x2028, 0x2029],
  ]),
);

/** ASCII word character test used by `\b` (ECMAScript semantics without `u`+`i`). */
export function isWordCodePoint(cp: number): boolean {
  return (
    (cp >= 0x61 && cp <= 0x7a) ||
    (cp >= 0x41 && cp <= 0x5a) ||
    (cp >= 0x30 && cp <= 0x39) ||
    cp === 0x5f
  );
}
