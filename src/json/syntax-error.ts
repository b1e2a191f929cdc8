import { printParseErrorCode, visit } from 'jsonc-parser';

/**
 * Where a text that `JSON.parse` refused goes wrong, as `line:column` (both 1-based,
 * columns in UTF-16 code units as editors count them), with V8's reason without its
 * `at position N` tail. A character offset means nothing to a person editing a file.
 * V8's own position is used when its message has one (it is the authority on what
 * `JSON.parse` refused); otherwise the first error of `jsonc-parser`'s strict scan.
 */
export function describeJsonSyntaxError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : 'parse error';
  const v8 = /\bat position (\d+)/u.exec(message);
  let offset = v8 !== null ? Number(v8[1]) : undefined;
  let reason = message
    .replace(/\s*\(line \d+ column \d+\)/u, '')
    .replace(/\s*in JSON at position \d+/u, '')
    .replace(/\s*at position \d+/u, '')
    .trim();
  if (offset === undefined) {
    visit(
      text,
      {
        onError: (code, errorOffset) => {
          if (offset !== undefined) return;
          offset = errorOffset;
          if (reason === '' || /is not valid JSON|Unexpected end/u.test(reason))
            reason = printParseErrorCode(code);
        },
      },
      { disallowComments: true, allowTrailingComma: false },
    );
  }
  // Cut long reasons: V8 quotes the start of the text, which may be anything.
  reason = reason.slice(0, 120);
  if (offset === undefined) return `not valid JSON: ${reason}`;
  const { line, column } = lineColumn(text, offset);
  return `not valid JSON at ${line}:${column} (line:column): ${reason}`;
}

/** 1-based line and column of a UTF-16 offset (`\n`, `\r\n` and `\r` end lines). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.min(offset, text.length));
  const lines = before.split(/\r\n|\r|\n/u);
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}
