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
