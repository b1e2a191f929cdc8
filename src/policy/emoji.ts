/**
 * Whole-sequence emoji matching (docs/protocol.md §4). A denied entry such as 💣 must also be
 * caught as 💣︎/💣️ (variation selectors), with a skin tone (🖕🏽), with marks stacked on it,
 * and inside a ZWJ sequence (💣‍🔥), while unrelated emoji (💚) pass. An entry is reduced to
 * its components (skin tones and marks removed — variation selectors are marks — then split
 * on default-ignorable code points: ZWJ, tags…); text is matched by `compileEmojiMatcher`.
 */

const SKIN_TONES_AND_MARKS = /[\u{1F3FB}-\u{1F3FF}\p{M}]/gu;
const SEPARATORS = /\p{Default_Ignorable_Code_Point}+/u;
const PICTOGRAPHIC = /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The components of one grapheme, e.g. `👨🏽‍🚒` → ["👨", "🚒"]. */
export function emojiComponents(grapheme: string): string[] {
  return grapheme
    .replace(SKIN_TONES_AND_MARKS, '')
    .split(SEPARATORS)
    .filter((c) => c.length > 0);
}

/** Why an emoji list entry is unusable, or undefined when it is fine. */
export function emojiEntryProblem(entry: string): string | undefined {
  const graphemes = [...segmenter.segment(entry.normalize('NFKC'))];
  if (graphemes.length !== 1) return 'must be exactly one grapheme (one emoji)';
  const parts = emojiComponents(entry.normalize('NFKC'));
  if (parts.length === 0 || !parts.every((p) => PICTOGRAPHIC.test(p)))
    return 'must be an emoji (pictographic character or flag)';
  return undefined;
}

/** A compiled emoji deny list. */
export interface EmojiMatcher {
  /** True when some grapheme of `text` is, or contains, a denied emoji. */
  matches(text: string): boolean;
}

/** Skin tones, marks and default-ignorables other than ZWJ: none of them splits a sequence. */
const STRIP_FOR_MATCHING =
  /[\u{1F3FB}-\u{1F3FF}\p{M}]|(?!\u200d)\p{Default_Ignorable_Code_Point}/gu;
const ONE_PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
const FORWARD = /(?:\u200d\p{Extended_Pictographic})*/uy;
const REGIONAL = /^\p{Regional_Indicator}$/u;

/**
 * Compiles validated entries (see `emojiEntryProblem`). Matching is linear in the text and
 * does not use `Intl.Segmenter`, whose iteration is quadratic in the length of the string
 * on Node 20 (about a second for 18 K characters): skin tones, marks and ignorables other
 * than ZWJ are removed (they never split an emoji sequence), then only the sequences around
 * a candidate code point are examined — a pictograph chain `P (ZWJ P)*` split on ZWJ, or
 * a pair of regional indicators (a flag) — each chain once.
 */
export function compileEmojiMatcher(entries: readonly string[]): EmojiMatcher {
  const lists = entries.map((e) => emojiComponents(e.normalize('NFKC')));
  if (lists.length === 0) return { matches: () => false };
  // A match needs the first code point of some entry: find those, and look around them.
  const firsts = new Set(lists.map((l) => String.fromCodePoint(l[0]!.codePointAt(0)!)));
  const pattern = `[${[...firsts].map(escapeForClass).join('')}]`;
  const prefilter = new RegExp(pattern, 'u');
  const hits = new RegExp(pattern, 'gu');
  const matchesSequence = (parts: readonly string[]): boolean =>
    lists.some((l) => containsRun(parts, l));
  return {
    matches(text: string): boolean {
      if (!prefilter.test(text)) return false;
      const t = text.replace(STRIP_FOR_MATCHING, '');
      let covered = 0; // sequences before this index were examined already
      hits.lastIndex = 0;
      for (let m = hits.exec(t); m !== null; m = hits.exec(t)) {
        const at = m.index;
        if (at < covered) continue;
        if (REGIONAL.test(m[0])) {
          // Flags pair regional indicators from the start of their run.
          let start = at;
          while (start >= 2 && REGIONAL.test(t.slice(start - 2, start))) start -= 2;
          const pairStart = start + Math.floor((at - start) / 4) * 4;
          if (matchesSequence([t.slice(pairStart, pairStart + 4)])) return true;
          covered = pairStart + 4;
          continue;
        }
        // Walk back to the start of the ZWJ chain, then forward to its end.
        let start = at;
        for (;;) {
          if (t.charCodeAt(start - 1) !== 0x200d) break;
          const before = codePointBefore(t, start - 1);
          if (before === undefined || !ONE_PICTOGRAPH.test(before)) break;
          start -= 1 + before.length;
        }
        FORWARD.lastIndex = at + m[0].length;
        FORWARD.exec(t);
        const end = FORWARD.lastIndex;
        if (matchesSequence(t.slice(start, end).split('\u200d'))) return true;
        covered = end;
      }
      return false;
    },
  };
}

function codePointBefore(s: string, end: number): string | undefined {
  if (end <= 0) return undefined;
  const lo = s.charCodeAt(end - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && end >= 2) {
    const hi = s.charCodeAt(end - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return s.slice(end - 2, end);
  }
  return s.slice(end - 1, end);
}

function containsRun(parts: readonly string[], run: readonly string[]): boolean {
  for (let i = 0; i + run.length <= parts.length; i++)
    if (run.every((r, j) => parts[i + j] === r)) return true;
  return false;
}

function escapeForClass(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}
