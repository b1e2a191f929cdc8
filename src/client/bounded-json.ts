/**
 * JSON.parse with a bounded result. A body capped at a few MiB can still make JSON.parse
 * build hundreds of MiB of objects (16 MiB of `[{},{},…]` is 5.6 million objects, ~550 MB)
 * or nest millions deep. So before parsing, one linear pass over the text counts nesting
 * depth and structural tokens (`{ [ , :`, i.e. roughly the number of values) outside
 * strings, and refuses the text when either is over its limit. Strings are not limited
 * here: their memory is bounded by the text itself.
 */

/** Limits for {@link parseBoundedJson}. */
export interface JsonLimits {
  /** Deepest nesting of objects/arrays accepted (default 64). */
  readonly maxDepth?: number;
  /** Most `{ [ , :` outside strings accepted (default 200,000: ~20 MB of parsed values). */
  readonly maxTokens?: number;
}

export const DEFAULT_JSON_MAX_DEPTH = 64;
export const DEFAULT_JSON_MAX_TOKENS = 200_000;

/** The text is JSON-shaped beyond the limits (or not JSON at all). One line, no input echoed. */
export class JsonLimitError extends Error {
  override readonly name = 'JsonLimitError';
}

/**
 * Parses `text` as JSON after checking its depth and size of structure.
 * @throws JsonLimitError when a limit is exceeded or the text is not JSON.
 */
export function parseBoundedJson(text: string, limits: JsonLimits = {}): unknown {
  const maxDepth = limits.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const maxTokens = limits.maxTokens ?? DEFAULT_JSON_MAX_TOKENS;
  let depth = 0;
  let tokens = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // skip the escaped character (`\"` does not end the string)
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonLimitError(`JSON nested deeper than ${maxDepth}`);
      tokens++;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c || c === 0x3a) tokens++;
    if (tokens > maxTokens) throw new JsonLimitError(`JSON with more than ${maxTokens} values`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JsonLimitError('not JSON');
  }
}
