import { visit } from 'jsonc-parser';

/**
 * docs/protocol.md §16 (§3 amendment): a body with a duplicate object key at any depth is refused.
 * `JSON.parse` keeps the last of two equal keys while other parsers keep the first, so
 * `{"action":"deploy","action":"build"}` could be judged as one event and audited or read
 * back as another. Keys are compared after decoding (`"a"` and `"\u0061"` are the same key).
 *
 * The scan uses `jsonc-parser`'s event visitor (Microsoft's maintained JSON scanner, which
 * decodes keys exactly as JSON.parse does) rather than a hand-written tokenizer or a regex.
 * Callers must first have parsed the text with `JSON.parse` (the authority for syntax: the
 * visitor is lenient) and bounded its depth (the visitor recurses once per level).
 */

/** Largest nesting depth a body may have before the duplicate scan; deeper is refused. */
export const MAX_BODY_DEPTH = 64;

/** Longest path reported (keys are attacker-controlled and may be long). */
const MAX_REPORTED_PATH = 200;

/** The JSON path (`metadata.a`) of the first key that occurs twice in one object, or undefined. */
export function findDuplicateKey(text: string): string | undefined {
  const open: Set<string>[] = [];
  let found: string | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (key, _offset, _length, _line, _column, pathSupplier) => {
        const keys = open[open.length - 1];
        if (keys === undefined || found !== undefined) return;
        if (keys.has(key)) {
          found = [...pathSupplier(), key].join('.').slice(0, MAX_REPORTED_PATH);
        } else keys.add(key);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

/**
 * How many object keys `text` spells out: string tokens followed (after JSON whitespace) by
 * `:`. Only meaningful for text `JSON.parse` accepted. Strings are skipped with `indexOf`,
 * so a long string value costs memory speed, not a tokenizer step per character; each
 * backslash run is walked once (to tell `\"` from `\\"`), so the scan is linear.
 *
 * `JSON.parse` keeps one member per distinct key of an object, so a text whose key count
 * equals the number of members of the parsed objects (`inspectJson(...).members`) has no
 * duplicate key anywhere; only otherwise does `findDuplicateKey` need to run (issue 19).
 */
export function countKeyTokens(text: string): number {
  let keys = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = open;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close === -1) return -1; // unterminated: not text JSON.parse accepted
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++next);
    if (c === 0x3a) keys++;
    open = text.indexOf('"', next);
  }
  return keys;
}
