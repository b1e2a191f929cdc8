/**
 * Strict parsing of the codex-sig/v1 headers (docs/protocol.md §2). Every value here is
 * attacker-controlled, so the grammar is anchored and length-bounded and anything else is
 * malformed: no number coercion (`1e9`, `Infinity`, `+1`, ` 1` are all refused).
 */

// The grammars, checked by the loops below (a regex test, a split and a hex decode per
// request measured ~1.7 µs, the loops ~0.5; bench/README.md, issue 19). The regexes they
// implement, which test/signing/header-grammar.test.ts compares them with:
//   timestamp  /^[0-9]{1,12}$/
//   nonce      /^[A-Za-z0-9_-]{16,64}$/
//   sig entry  /^v1=([0-9a-f]{64})$/
/** More entries than any rotation needs; bounds the HMAC work one request can cause. */
export const MAX_SIGNATURES = 8;

/** NONCE_CHAR[c] is 1 for the code units a nonce may hold (undefined beyond 127). */
const NONCE_CHAR: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const allowed = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  for (let i = 0; i < allowed.length; i++) table[allowed.charCodeAt(i)] = 1;
  return table;
})();

/** The parsed signature headers. */
export interface SignatureHeaders {
  /** The timestamp as a number, for the window check and the replay store. */
  readonly timestamp: number;
  /**
   * The timestamp header TEXT exactly as received (docs/protocol.md §16): this, not `timestamp`,
   * goes into the signed string, so `00<ts>` is a different message from `<ts>`.
   */
  readonly timestampText: string;
  readonly nonce: string;
  /** Each `v1=` value as 32 raw bytes. */
  readonly signatures: readonly Uint8Array[];
}

/**
 * Parses the three signature headers. Returns undefined when any is missing, repeated
 * (Node joins repeated headers with ", ", which the grammars below refuse) or malformed.
 */
export function parseSignatureHeaders(
  timestamp: string | undefined,
  nonce: string | undefined,
  sig: string | undefined,
): SignatureHeaders | undefined {
  if (timestamp === undefined || nonce === undefined || sig === undefined) return undefined;
  if (!isTimestamp(timestamp) || !isNonce(nonce) || sig.length > 1024) return undefined;
  // One entry (the usual case) needs no split; trim as for each entry of a list.
  const entries = sig.includes(',') ? sig.split(',').map((part) => part.trim()) : [sig.trim()];
  if (entries.length === 0 || entries.length > MAX_SIGNATURES) return undefined;
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    const bytes = signatureEntry(entry);
    if (bytes === undefined) return undefined;
    signatures.push(bytes);
  }
  return { timestamp: Number(timestamp), timestampText: timestamp, nonce, signatures };
}

/**
 * Which signature header is wrong and what it must look like, for the `detail` of a 401
 * `malformed_signature`, so a sender can fix the request. Checks in the order the
 * headers are read; never echoes a value (it may be anything). `undefined` when all three
 * parse.
 */
export function signatureHeaderProblem(
  timestamp: string | undefined,
  nonce: string | undefined,
  sig: string | undefined,
): string | undefined {
  if (timestamp === undefined) return 'header X-Codex-Timestamp is missing';
  if (!isTimestamp(timestamp))
    return 'header X-Codex-Timestamp must be unix seconds (1 to 12 digits), sent once';
  if (nonce === undefined) return 'header X-Codex-Nonce is missing';
  if (!isNonce(nonce))
    return 'header X-Codex-Nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -, sent once';
  if (sig === undefined) return 'header X-Codex-Sig is missing';
  if (parseSignatureHeaders(timestamp, nonce, sig) === undefined)
    return `header X-Codex-Sig must be v1=<64 lowercase hex>, at most ${MAX_SIGNATURES} entries separated by commas`;
  return undefined;
}

/** 1 to 12 ASCII digits. */
function isTimestamp(s: string): boolean {
  if (s.length < 1 || s.length > 12) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** 16 to 64 characters of A-Z a-z 0-9 _ -. */
function isNonce(s: string): boolean {
  if (s.length < 16 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) if (!NONCE_CHAR[s.charCodeAt(i)]) return false;
  return true;
}

/** `v1=` and 64 lowercase hex digits, as 32 bytes; undefined for anything else. */
function signatureEntry(entry: string): Uint8Array | undefined {
  if (entry.length !== 67 || !entry.startsWith('v1=')) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = hexDigit(entry.charCodeAt(3 + 2 * i));
    const lo = hexDigit(entry.charCodeAt(4 + 2 * i));
    if (hi < 0 || lo < 0) return undefined;
    bytes[i] = (hi << 4) | lo;
  }
  return bytes;
}

/** 0–15 for `0-9a-f` (lowercase only), -1 for any other code unit. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
