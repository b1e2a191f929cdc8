import { hmacSha256 } from '../crypto/index.js';

/**
 * Standard Webhooks v1 symmetric signatures (docs/protocol.md §11): HMAC-SHA256 keyed with the
 * base64-decoded secret (after `whsec_`), over `<webhook-id>.<webhook-timestamp>.<body>`,
 * sent as `v1,<standard base64>`; one entry per secret, space-separated, so a receiver in
 * the middle of a secret rotation accepts either.
 */

/** The signed content, as bytes (the body is UTF-8). */
function signedContent(id: string, timestamp: number, body: string): Buffer {
  return Buffer.from(`${id}.${timestamp}.${body}`, 'utf8');
}

/**
 * The `webhook-signature` header value for one attempt. `keys` are the decoded secrets;
 * `timestamp` is unix seconds. Throws a RangeError for an id containing `.` (it would make
 * the signed content ambiguous) or a timestamp that is not a non-negative integer.
 */
export function webhookSignature(
  keys: readonly Uint8Array[],
  id: string,
  timestamp: number,
  body: string,
): string {
  if (id.includes('.') || id.length === 0)
    throw new RangeError('webhook id must be non-empty without "."');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError('timestamp must be unix seconds');
  if (keys.length === 0) throw new RangeError('at least one key is needed');
  const content = signedContent(id, timestamp, body);
  return keys.map((k) => `v1,${Buffer.from(hmacSha256(k, content)).toString('base64')}`).join(' ');
}

/** The three Standard Webhooks headers plus the content type, for one attempt. */
export function webhookHeaders(
  keys: readonly Uint8Array[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(keys, id, timestamp, body),
  };
}
