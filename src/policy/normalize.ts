/**
 * Text folding applied to every string of an event before deny patterns run (PROTOCOL §4).
 * Attackers control these strings and will try spellings that a shell or database still
 * reads as the forbidden command while a naive regex does not: `ＲＭ －ＲＦ ／`
 * (fullwidth), `r\u200Bm` (zero-width space), `r\u0301m` (combining mark), `RM -RF /`.
 *
 * 1. NFKC folds compatibility forms (fullwidth, ligatures, superscripts) to plain letters;
 * 2. lower-casing implements the case-insensitivity of patterns once, for all of them;
 * 3. NFD then removal of every mark (`\p{M}`) peels accents, which NFKC would otherwise
 *    have composed into new letters (`r` + U+0301 → `ŕ`);
 * 4. default-ignorable code points (ZWSP, ZWJ, soft hyphen, word joiner, variation
 *    selectors, tags…) are removed, so split spellings join up again.
 */

const NEEDS_FOLDING = /[\u0080-\uffff]/;
const STRIP = /[\p{M}\p{Default_Ignorable_Code_Point}]/gu;

/** Folds `text` for deny-pattern matching. ASCII input only needs lower-casing (fast path). */
export function foldForPatterns(text: string): string {
  if (!NEEDS_FOLDING.test(text)) return text.toLowerCase();
  return text.normalize('NFKC').toLowerCase().normalize('NFD').replace(STRIP, '');
}
