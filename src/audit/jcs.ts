/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). The audit log hashes the UTF-8 of this
 * text, so an auditor in any language can rebuild the exact leaf bytes from an entry:
 * - object members sorted by their names as arrays of UTF-16 code units (RFC 8785 §3.2.3);
 * - numbers in ECMAScript `Number.prototype.toString` form (§3.2.2.3), `-0` as `0`;
 * - strings escaped minimally: `"` `\` and U+0000..U+001F only, with the short forms
 *   `\b \t \n \f \r` and otherwise `\u00xx` in lowercase hex (§3.2.2.2);
 * - no whitespace.
 * Values JSON cannot represent exactly are refused instead of being silently dropped or
 * turned into `null` (as JSON.stringify would): non-finite numbers, undefined, functions,
 * symbols, bigints, lone surrogates (not I-JSON), non-plain objects and cycles.
 */

/** Maximum nesting depth accepted; entries are shallow, this only stops runaway recursion. */
export const JCS_MAX_DEPTH = 64;

/**
 * The canonical JSON text of `value`.
 * @throws TypeError when `value` contains something JCS cannot represent, or nests deeper
 *   than {@link JCS_MAX_DEPTH}.
 */
export function canonicalize(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set<object>(), 0);
  return parts.join('');
}

/** UTF-8 bytes of the canonical JSON of `value` (the audit leaf bytes). */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function write(value: unknown, out: string[], ancestors: Set<object>, depth: number): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      out.push(serializeNumber(value));
      return;
    case 'string':
      out.push(serializeString(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalize: cannot represent a value of type ${typeof value}`);
  }
  if (depth >= JCS_MAX_DEPTH) throw new TypeError('canonicalize: nesting too deep');
  if (ancestors.has(value)) throw new TypeError('canonicalize: cyclic structure');
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      // `value[i]` of a hole is undefined and is refused below, like any undefined.
      write(value[i], out, ancestors, depth + 1);
    }
    out.push(']');
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError('canonicalize: only plain objects and arrays are supported');
    if (Object.getOwnPropertySymbols(value).length > 0)
      throw new TypeError('canonicalize: symbol keys cannot be represented');
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly what RFC 8785 §3.2.3 asks for.
    const keys = Object.keys(record).sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(serializeString(key), ':');
      write(record[key], out, ancestors, depth + 1);
    });
    out.push('}');
  }
  ancestors.delete(value);
}

/** ECMAScript number serialisation (RFC 8785 §3.2.2.3). */
export function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('canonicalize: non-finite number');
  // String(-0) is already "0"; ES `Number::toString` is the algorithm JCS adopts verbatim.
  return String(n);
}

/**
 * A JSON string literal escaped per RFC 8785 §3.2.2.2. `JSON.stringify` of a string escapes
 * exactly that set (`"` `\\`, the short forms `\b \t \n \f \r`, other U+0000..U+001F as
 * lowercase `\u00xx`, everything else verbatim) in native code; it would escape a lone
 * surrogate instead of refusing it, so those are refused first (`isWellFormed`).
 * `test/audit/jcs.test.ts` compares it with a code-unit-by-code-unit reference.
 */
export function serializeString(s: string): string {
  if (!(s as unknown as WellFormed).isWellFormed())
    throw new TypeError('canonicalize: lone surrogate in string');
  return quoteWellFormed(s);
}

/** The code units `JSON.stringify` escapes in a well-formed string. */
// eslint-disable-next-line no-control-regex -- U+0000..U+001F are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * The JSON string literal of a well-formed string `s` (the caller checked `isWellFormed`).
 * Most strings of an entry need no escape at all, and quoting them is ~10× cheaper than
 * `JSON.stringify` (≈0.35 µs per string on this machine, mostly its fixed setup).
 */
export function quoteWellFormed(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `String.prototype.isWellFormed` (Node 20; the ES2024 lib is not in this project's tsconfig). */
interface WellFormed {
  isWellFormed(): boolean;
}
