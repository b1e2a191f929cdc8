/** First line of every codex-sig/v1 signed string. */
export const SIGNATURE_SCHEME = 'codex-sig/v1';

/** The parts of a request that the signature covers. */
export interface SignedParts {
  /**
   * The `X-Codex-Timestamp` header text exactly as sent or received (docs/protocol.md §16); a
   * number is written in plain decimal, which is what a sender puts in the header.
   */
  readonly timestamp: number | string;
  readonly nonce: string;
  /** HTTP method; upper-cased here. */
  readonly method: string;
  /** Path and query exactly as on the request line. */
  readonly target: string;
  /** Lowercase hex SHA-256 of the raw body bytes. */
  readonly bodySha256: string;
}

/** The exact string that is HMAC'd (docs/protocol.md §2); no trailing newline. */
export function canonicalString(p: SignedParts): string {
  return [
    SIGNATURE_SCHEME,
    String(p.timestamp),
    p.nonce,
    p.method.toUpperCase(),
    p.target,
    p.bodySha256,
  ].join('\n');
}
