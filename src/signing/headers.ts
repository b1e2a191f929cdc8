/**
 * Strict parsing of the codex-sig/v1 headers (docs/protocol.md §2). Every value here is
 * attacker-controlled, so the grammar is anchored and length-bounded and anything else is
 * malformed: no number coercion (`1e9`, `Infinity`, `+1`, ` 1` are all refused).
 */

const TIMESTAMP = /^[0-9]{1,12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIG_ENTRY = /^v1=([0-9a-f]{64})$/;
/** More entries than any rotation needs; bounds the HMAC work one request can cause. */
export const MAX_SIGNATURES = 8;

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
  if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || sig.length > 1024) return undefined;
  const entries = sig.split(',').map((part) => part.trim());
  if (entries.length === 0 || entries.length > MAX_SIGNATURES) return undefined;
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    const match = SIG_ENTRY.exec(entry);
    if (match === null) return undefined;
    signatures.push(new Uint8Array(Buffer.from(match[1]!, 'hex')));
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
  if (!TIMESTAMP.test(timestamp))
    return 'header X-Codex-Timestamp must be unix seconds (1 to 12 digits), sent once';
  if (nonce === undefined) return 'header X-Codex-Nonce is missing';
  if (!NONCE.test(nonce))
    return 'header X-Codex-Nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -, sent once';
  if (sig === undefined) return 'header X-Codex-Sig is missing';
  if (parseSignatureHeaders(timestamp, nonce, sig) === undefined)
    return `header X-Codex-Sig must be v1=<64 lowercase hex>, at most ${MAX_SIGNATURES} entries separated by commas`;
  return undefined;
}
