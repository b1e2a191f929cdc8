import { type CharSet, MAX_CODE_POINT, WORD, contains } from './char-set.js';

/**
 * Code-point equivalence classes (as RE2 builds them): two code points are in the same
 * class when every character set of the compiled patterns, and the `\b` word test, treats
 * them alike. The automaton then has one transition per (state, class) instead of one per
 * (state, code point), so text cycling through thousands of distinct CJK characters costs
 * exactly what repeating one of them costs: a table lookup per character.
 */
export interface CharClasses {
  /** Number of classes (at most 65,535). */
  readonly count: number;
  /** Class of each BMP code unit (lone surrogates included). */
  readonly bmp: Uint16Array;
  /** One code point of each class, to compute transitions with. */
  readonly representative: Int32Array;
  /** Class of any code point (astral ones by binary search). */
  classOf(cp: number): number;
}

/** Builds the partition of all code points induced by `sets` and the word characters. */
export function buildClasses(sets: readonly CharSet[]): CharClasses {
  const all = [...sets, WORD];
  // Segment boundaries: every range start and every end + 1.
  const cuts = new Set<number>([0]);
  for (const set of all)
    for (const [from, to] of set) {
      cuts.add(from);
      if (to < MAX_CODE_POINT) cuts.add(to + 1);
    }
  const starts = Int32Array.from(cuts).sort();
  // Segments with the same membership in every set share a class (fewer classes than
  // segments: `[^;]` and `.` would otherwise split the alphabet at every literal).
  const distinct = [...new Set(all)];
  const signatureIds = new Map<string, number>();
  const segmentClass = new Uint16Array(starts.length);
  const representative: number[] = [];
  for (let s = 0; s < starts.length; s++) {
    const cp = starts[s]!;
    let signature = '';
    for (let i = 0; i < distinct.length; i++) if (contains(distinct[i]!, cp)) signature += `${i},`;
    let id = signatureIds.get(signature);
    if (id === undefined) {
      id = signatureIds.size;
      if (id > 0xfffe) throw new RangeError('patterns need more than 65,535 character classes');
      signatureIds.set(signature, id);
      representative.push(cp);
    }
    segmentClass[s] = id;
  }
  const bmp = new Uint16Array(0x10000);
  for (let s = 0; s < starts.length && starts[s]! < 0x10000; s++) {
    const end = s + 1 < starts.length ? Math.min(starts[s + 1]!, 0x10000) : 0x10000;
    bmp.fill(segmentClass[s]!, starts[s]!, end);
  }
  return {
    count: signatureIds.size,
    bmp,
    representative: Int32Array.from(representative),
    classOf(cp: number): number {
      if (cp < 0x10000) return bmp[cp]!;
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= cp) lo = mid;
        else hi = mid - 1;
      }
      return segmentClass[lo]!;
    },
  };
}
