/**
 * Strict standard base64 (RFC 4648 §4, with padding). `Buffer.from(s, 'base64')` silently
 * skips invalid characters, so an envelope from the wire is checked by round-trip instead:
 * only the one canonical encoding of a byte string is accepted.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes canonical standard base64; returns undefined for anything else. */
export function fromBase64Strict(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}
