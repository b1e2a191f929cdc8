import type { ErrorCode, GatewayError } from '../errors.js';

/** HTTP status and title for every code of docs/protocol.md §7; the only such table. */
const PROBLEMS: Record<ErrorCode, readonly [number, string]> = {
  invalid_api_key: [401, 'Invalid API key'],
  insufficient_scope: [403, 'Insufficient scope'],
  malformed_signature: [401, 'Malformed signature headers'],
  timestamp_out_of_range: [401, 'Timestamp out of range'],
  invalid_signature: [401, 'Invalid signature'],
  replayed_nonce: [409, 'Replayed nonce'],
  payload_too_large: [413, 'Payload too large'],
  unsupported_media_type: [415, 'Unsupported media type'],
  invalid_body: [400, 'Invalid body'],
  policy_denied: [403, 'Denied by policy'],
  rate_limited: [429, 'Rate limited'],
  unknown_deploy: [404, 'Unknown deploy'],
  unknown_approver: [403, 'Unknown approver'],
  invalid_approval: [401, 'Invalid approval'],
  already_approved: [409, 'Already approved'],
  deploy_expired: [410, 'Deploy expired'],
  deploy_closed: [410, 'Deploy closed'],
  deploy_not_approved: [409, 'Deploy not approved'],
  unknown_delivery: [404, 'Unknown delivery'],
  delivery_not_dead: [409, 'Delivery not dead'],
  invalid_range: [400, 'Invalid range'],
  not_found: [404, 'Not found'],
  unavailable: [503, 'Service unavailable'],
  internal: [500, 'Internal error'],
};

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): number {
  return PROBLEMS[code][0];
}

/** A problem+json answer: status, header lines and the JSON text. */
export interface ProblemAnswer {
  readonly status: number;
  /** Lower-case names in ascending order, as a WHATWG `Headers` lists them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** problemAnswer as a Response (the Hono app's error handler). */
export function problemResponse(err: GatewayError, requestId: string | undefined): Response {
  const { status, headers, body } = problemAnswer(err, requestId);
  return new Response(body, { status, headers });
}

/**
 * An RFC 9457 problem document for `err`. A 5xx never carries detail or extras, so no
 * internal state can leak to the client.
 */
export function problemAnswer(err: GatewayError, requestId: string | undefined): ProblemAnswer {
  const [status, title] = PROBLEMS[err.code];
  const serverSide = status >= 500;
  const body: Record<string, unknown> = {
    ...(serverSide ? {} : err.extras),
    type: `https://codex-gateway.dev/problems/${err.code}`,
    title,
    status,
    code: err.code,
  };
  if (!serverSide && err.detail !== undefined) body.detail = err.detail;
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (err.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfter)));
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  return { status, headers, body: JSON.stringify(body) };
}
