/**
 * Text folding applied to every string of an event before deny patterns run (docs/protocol.md §4,
 * §16). Attackers control these strings and will try spellings that a shell or database
 * still reads as the forbidden command while a naive regex does not: `ＲＭ －ＲＦ ／`
 * (fullwidth), `𝐫𝐦` (mathematical letters), `r\u200Bm` (zero-width space), `r\u0301m`
 * (combining mark), `RM -RF /`, `cu\0rl` (`sh` drops NUL bytes).
 *
 * Each code point is replaced by its fold, computed once per code point at start-up:
 * 1. compatibility decomposition (NFKD: fullwidth, ligatures, superscripts, accents split
 *    off their letters), then lower-casing (patterns are case-insensitive);
 * 2. removal of every mark (`\p{M}`), so `é` and `e\u0301` both read `e`;
 * 3. removal of default-ignorable code points (ZWSP, ZWJ, soft hyphen, word joiner,
 *    variation selectors, tags…), so split spellings join up again;
 * 4. removal of every control character except TAB and LF — NUL, the other C0 controls,
 *    DEL and the C1 controls — so no control character can split a word (§16). TAB and
 *    LF separate words in the shell too, and stay (patterns match them with `\s`).
 *
 * Folding code point by code point equals folding the whole string (NFKD is a per-code-
 * point mapping plus a reordering of marks, and marks are removed), except that Hangul
 * syllables are kept whole (their jamo spell nothing a pattern could need) and a final
 * sigma lower-cases to σ. The cost is one table lookup per UTF-16 unit whatever the text:
 * the ICU normalisers, by contrast, take tens of milliseconds on 256 KiB of accented or
 * Hangul text.
 */

/** Fold of each BMP code unit: -1 unchanged, -2 removed, else an offset into POOL. */
const BMP = new Int32Array(0x10000).fill(-1);
/** Folds of the astral code points that change (planes 1, 2 and 14; none elsewhere). */
const ASTRAL = new Map<number, string>();
/** Replacement texts as `[length, ...UTF-16 units]` records. */
let POOL = new Uint16Array(0);

/** Marks, default-ignorables and controls other than TAB and LF. */
const STRIP_ALL = /(?![\t\n])[\p{M}\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;
const NOT_PLAIN_ASCII = /[^\t\n\x20-\x7e]/;
/** Separator for the bulk computation: unchanged by folding, never reordered across. */
const SEP = '\uE000';

/**
 * Calls `changed(cp, fold)` for each of `codePoints` that folding changes. All of them are
 * folded in bulk — one normalisation of all of them joined by a separator, walked without
 * a substring per code point — because one ICU call per code point would cost start-up
 * time in every process.
 */
function foldAll(codePoints: readonly number[], changed: (cp: number, fold: string) => void): void {
  const units = new Uint16Array(codePoints.length * 3);
  let len = 0;
  for (const cp of codePoints) {
    if (cp > 0xffff) {
      units[len++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[len++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else units[len++] = cp;
    units[len++] = SEP.charCodeAt(0);
  }
  const folded = decodeUnits(units, len).normalize('NFKD').toLowerCase().replace(STRIP_ALL, '');
  let start = 0;
  for (const cp of codePoints) {
    const end = folded.indexOf(SEP, start);
    const same = end - start === (cp > 0xffff ? 2 : 1) && folded.codePointAt(start) === cp;
    if (!same) changed(cp, folded.slice(start, end));
    start = end + 1;
  }
}

(() => {
  const bmp: number[] = [];
  for (let cp = 0; cp < 0x10000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates stay as they are
    if (cp >= 0xac00 && cp <= 0xd7a3) continue; // Hangul syllables stay whole
    if (cp !== 0xe000) bmp.push(cp);
  }
  const pool: number[] = [];
  foldAll(bmp, (cp, folded) => {
    if (folded === '') BMP[cp] = -2;
    else {
      BMP[cp] = pool.length;
      pool.push(folded.length);
      for (let j = 0; j < folded.length; j++) pool.push(folded.charCodeAt(j));
    }
  });
  POOL = Uint16Array.from(pool);
  // Astral code points that fold: plane 1 (mathematical letters, enclosed forms, marks…),
  // the CJK compatibility ideographs of plane 2, and tags and variation selectors of
  // plane 14. No other assigned astral code point decomposes, is a mark or is ignorable.
  const astral: number[] = [];
  for (const [from, to] of [
    [0x10000, 0x1ffff],
    [0x2f800, 0x2fa1f],
    [0xe0000, 0xe0fff],
  ] as const)
    for (let cp = from; cp <= to; cp++) astral.push(cp);
  foldAll(astral, (cp, folded) => ASTRAL.set(cp, folded));
})();

/**
 * Folds `text` for deny-pattern matching: the native lower-casing, then one table lookup
 * per UTF-16 unit, writing into a flat buffer only when something changes.
 */
export function foldForPatterns(text: string): string {
  // Fast path: printable ASCII, TAB and LF only need lower-casing.
  if (!NOT_PLAIN_ASCII.test(text)) return text.toLowerCase();
  const lower = text.toLowerCase();
  const n = lower.length;
  let out: Uint16Array | undefined;
  let len = 0;
  const room = (extra: number): Uint16Array => {
    if (out === undefined) out = new Uint16Array(n + 64);
    if (len + extra > out.length) {
      const bigger = new Uint16Array((len + extra) * 2);
      bigger.set(out.subarray(0, len));
      out = bigger;
    }
    return out;
  };
  let copied = 0; // units of `lower` before this index are already in `out`
  for (let i = 0; i < n; i++) {
    const unit = lower.charCodeAt(i);
    let replacement: string | undefined;
    let fold = BMP[unit]!;
    let width = 1;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < n) {
      const lo = lower.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        width = 2;
        replacement = ASTRAL.get(((unit - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
        fold = replacement === undefined ? -1 : -3;
      }
    }
    if (fold === -1) {
      i += width - 1;
      continue;
    }
    // Copy the unchanged run before this code point, then its fold.
    const buf = room(i - copied + 32);
    for (let j = copied; j < i; j++) buf[len++] = lower.charCodeAt(j);
    if (fold >= 0) {
      const size = POOL[fold]!;
      const b = room(size);
      for (let j = 1; j <= size; j++) b[len++] = POOL[fold + j]!;
    } else if (fold === -3) {
      const b = room(replacement!.length);
      for (let j = 0; j < replacement!.length; j++) b[len++] = replacement!.charCodeAt(j);
    }
    i += width - 1;
    copied = i + 1;
  }
  if (out === undefined) return lower;
  const buf = room(n - copied);
  for (let j = copied; j < n; j++) buf[len++] = lower.charCodeAt(j);
  return decodeUnits(buf, len);
}

/** A string from UTF-16 units (a lone surrogate becomes U+FFFD, which no pattern needs). */
function decodeUnits(units: Uint16Array, len: number): string {
  return new TextDecoder('utf-16le').decode(units.subarray(0, len));
}
