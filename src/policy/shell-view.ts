/**
 * A shell-aware view of a folded `run` string, matched in addition to the folded text
 * itself (issue 13 point 4). It undoes spellings a POSIX shell reads as the same words:
 * quotes and backslash escapes are removed (`c''url`, `c\url`, `'/'*`), `$IFS`/`${IFS…}`
 * become a space and `$@`/`$*` nothing, and path words are normalised (`//`, `/./`,
 * `/usr/../`). It is a view for matching only, never an interpretation: see docs/policy.md
 * for what a deny-list of patterns cannot promise. Linear in the length of the text.
 */
export function shellView(folded: string): string {
  // Most commands (`npm run build`) hold none of the characters the steps below act on;
  // their view is the text itself (test/policy/shell-view-linear.test.ts checks it).
  return SHELL_SYNTAX.test(folded) ? rewrittenView(folded) : folded;
}

/**
 * Quotes, backslashes, `$` and `/`: what `rewrittenView` can change. A text without any of
 * them is its own view.
 */
const SHELL_SYNTAX = /['"\\$/]/;

/** The view built step by step (exported for the test that the fast path agrees with it). */
export function rewrittenView(folded: string): string {
  const unquoted = removeQuoting(folded);
  const expanded = unquoted
    .replace(/\$\{ifs[^}]{0,16}\}|\$ifs(?![a-z0-9_])/g, ' ')
    .replace(/\$\{[@*]\}|\$[@*]/g, '');
  // Whole words only: a pattern that must find a `/` inside a word (`[^…]*\/[^…]*`) is
  // retried at every position of a long word without one, which is quadratic (a 160 KB
  // word took minutes). Matching maximal words, then looking for `/`, is linear.
  return expanded.replace(SHELL_WORD, (word) => (word.includes('/') ? normalizePath(word) : word));
}

/** A maximal run of characters the shell keeps inside one word (no blank or operator). */
const SHELL_WORD = /[^\s;&|()<>]+/g;

/** Removes quotes and backslash escapes as the shell does when it splits words. */
function removeQuoting(s: string): string {
  let out = '';
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1]!)) {
        if (s[i + 1] !== '\n') out += s[i + 1];
        i++;
      } else out += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '$' && s[i + 1] === "'") {
      quote = "'"; // $'…' (ANSI-C quoting): its escapes are kept as written
      i++;
    } else if (c === '\\' && i + 1 < s.length) {
      if (s[i + 1] !== '\n') out += s[i + 1];
      i++;
    } else out += c;
  }
  return out;
}

/** `//`, `/./` and `seg/../` removed from one word; `..` above the root is the root. */
function normalizePath(word: string): string {
  const absolute = word.startsWith('/');
  const parts: string[] = [];
  for (const seg of word.split('/')) {
    if (seg === '' || (seg === '.' && (absolute || parts.length > 0))) continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (seg === '..' && absolute) continue;
    else parts.push(seg);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined;
}
