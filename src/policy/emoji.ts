/**
 * Whole-grapheme emoji matching (PROTOCOL §4). A denied entry such as 💣 must also be
 * caught as 💣︎/💣️ (variation selectors), with a skin tone (🖕🏽), with marks stacked on it,
 * and inside a ZWJ sequence (💣‍🔥), while unrelated emoji (💚) pass. Each grapheme
 * (Intl.Segmenter) is reduced to its components: skin tones and marks removed (variation
 * selectors are marks), then split on default-ignorable code points (ZWJ, tags…).
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

/** Compiles validated entries (see `emojiEntryProblem`). */
export function compileEmojiMatcher(entries: readonly string[]): EmojiMatcher {
  const lists = entries.map((e) => emojiComponents(e.normalize('NFKC')));
  if (lists.length === 0) return { matches: () => false };
  // Cheap pre-filter: a match needs the first code point of some entry to be present.
  const firsts = new Set(lists.map((l) => String.fromCodePoint(l[0]!.codePointAt(0)!)));
  const prefilter = new RegExp(`[${[...firsts].map(escapeForClass).join('')}]`, 'u');
  return {
    matches(text: string): boolean {
      if (!prefilter.test(text)) return false;
      for (const { segment } of segmenter.segment(text.normalize('NFKC'))) {
        if (!prefilter.test(segment)) continue;
        const parts = emojiComponents(segment);
        if (lists.some((l) => containsRun(parts, l))) return true;
      }
      return false;
    },
  };
}

function containsRun(parts: readonly string[], run: readonly string[]): boolean {
  for (let i = 0; i + run.length <= parts.length; i++)
    if (run.every((r, j) => parts[i + j] === r)) return true;
  return false;
}

function escapeForClass(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}
