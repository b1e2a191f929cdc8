import { randomBytes, sha256Hex, toHex } from '../crypto/index.js';
import { signatureHeader } from './verify.js';

/** What a sender needs to sign one request. */
export interface SignRequestInput {
  readonly apiKey: string;
  readonly secret: string;
  readonly method: string;
  /** Path and query exactly as it will be sent on the request line. */
  readonly target: string;
  readonly body: Uint8Array | string;
  /**
   * Unix seconds; defaults to now. A string is sent and signed exactly as given (the
   * header text is what the signature covers, docs/protocol.md §16).
   */
  readonly timestamp?: number | string;
  /** Defaults to 32 random hex characters. */
  readonly nonce?: string;
}

/** The four codex-sig/v1 headers for a request (docs/protocol.md §2). */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? toHex(randomBytes(16));
  const sig = signatureHeader(
    {
      timestamp,
      nonce,
      method: input.method,
      target: input.target,
      bodySha256: sha256Hex(input.body),
    },
    input.secret,
  );
  return {
    'x-api-key': input.apiKey,
    'x-codex-timestamp': timestamp,
    'x-codex-nonce': nonce,
    'x-codex-sig': sig,
  };
}
