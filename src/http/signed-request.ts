import type { Client, ClientRegistry, Scope } from '../config/clients.js';
import { authenticateApiKey } from './api-key.js';
import { sha256Hex } from '../crypto/index.js';
import { GatewayError } from '../errors.js';
import type { AdmissionStore } from '../replay/admission.js';
import { nonceKey } from '../replay/memory-nonce-store.js';
import {
  parseSignatureHeaders,
  signatureHeaderProblem,
  timestampInWindow,
  verifySignature,
} from '../signing/index.js';
import type { RawRequest } from './raw-request.js';

/** The §2 headers besides X-Api-Key; each must come on exactly one line. */
const SIGNATURE_HEADERS = ['x-codex-timestamp', 'x-codex-nonce', 'x-codex-sig'] as const;

/** A request that passed docs/protocol.md §2 checks 1–6. */
export interface AuthenticatedRequest {
  readonly client: Client;
  /** Lowercase hex SHA-256 of the raw body. */
  readonly bodySha256: string;
  /** The admitted nonce as the audit log records it, and the request's unix seconds. */
  readonly replay: { readonly nonce: string; readonly timestamp: number };
}

export interface SignedRequestDeps {
  readonly clients: ClientRegistry;
  readonly admission: AdmissionStore;
  readonly toleranceSeconds: number;
  nowMs(): number;
}

/**
 * Runs checks 1–6 of docs/protocol.md §2 in order, each failing closed with its code. The rate
 * limit comes from the caller's policy snapshot (`rateFor`), so check 5 uses the same
 * revision as the decision. A store that cannot answer gives 503 `unavailable`.
 */
export async function authenticateSignedRequest(
  deps: SignedRequestDeps,
  req: RawRequest,
  scope: Scope,
  rateFor: (clientId: string) => number | undefined,
): Promise<AuthenticatedRequest> {
  // docs/protocol.md §16: a §2 header on two lines is refused, never joined (two X-Codex-Sig lines
  // would otherwise read as one list of signatures).
  if (req.repeated('x-api-key'))
    throw new GatewayError('invalid_api_key', { detail: 'X-Api-Key sent more than once' });
  const client = authenticateApiKey(deps.clients, req.header('x-api-key'), [scope]);
  if (SIGNATURE_HEADERS.some((name) => req.repeated(name)))
    throw new GatewayError('malformed_signature', {
      detail: 'a signature header was sent more than once',
    });

  const headers = [
    req.header('x-codex-timestamp'),
    req.header('x-codex-nonce'),
    req.header('x-codex-sig'),
  ] as const;
  const sig = parseSignatureHeaders(...headers);
  if (sig === undefined)
    throw new GatewayError('malformed_signature', {
      detail: signatureHeaderProblem(...headers) ?? 'malformed signature headers',
    });

  const nowMs = deps.nowMs();
  if (!timestampInWindow(sig.timestamp, nowMs, deps.toleranceSeconds))
    throw outOfRange(sig.timestamp, nowMs, deps.toleranceSeconds, 'is outside the accepted window');

  const bodySha256 = sha256Hex(req.body);
  const parts = {
    // The header text, never the parsed number (docs/protocol.md §16): `00<ts>` must not verify
    // with a signature over `<ts>`, and a sender that signs the text it sends must pass.
    timestamp: sig.timestampText,
    nonce: sig.nonce,
    method: req.method,
    target: req.target,
    bodySha256,
  };
  if (!verifySignature(parts, client.signingSecrets, sig.signatures))
    throw new GatewayError('invalid_signature', {
      detail:
        "header X-Codex-Sig: no v1= entry is the HMAC-SHA256, under one of this client's " +
        'secrets, of "codex-sig/v1", the timestamp, the nonce, the method, the path and query ' +
        "as sent and the body's SHA-256 hex, joined by \\n (docs/protocol.md#2-signed-requests)",
    });

  // Hashed once: the store's key and the audit entry's `nonce` are the same digest.
  const nonceSha256 = nonceKey(client.id, sig.nonce);
  let admitted;
  try {
    admitted = await deps.admission.admit({
      clientId: client.id,
      nonce: sig.nonce,
      timestamp: sig.timestamp,
      nowMs,
      ratePerMinute: rateFor(client.id),
      nonceSha256,
    });
  } catch (cause) {
    throw new GatewayError('unavailable', { cause });
  }
  if (!admitted.ok) {
    if (admitted.code === 'rate_limited')
      throw new GatewayError('rate_limited', { retryAfter: admitted.retryAfterSeconds });
    if (admitted.code === 'timestamp_out_of_range')
      throw outOfRange(
        sig.timestamp,
        nowMs,
        deps.toleranceSeconds,
        'is too old for the replay window',
      );
    throw new GatewayError('replayed_nonce');
  }
  return {
    client,
    bodySha256,
    replay: { nonce: `sha256:${nonceSha256}`, timestamp: sig.timestamp },
  };
}

/**
 * 401 `timestamp_out_of_range` with what the sender needs to fix its clock: the server's
 * time and the tolerance (public facts, no secret), in `detail` and as members.
 */
function outOfRange(
  timestamp: number,
  nowMs: number,
  toleranceSeconds: number,
  what: string,
): GatewayError {
  const serverTime = Math.floor(nowMs / 1000);
  return new GatewayError('timestamp_out_of_range', {
    detail:
      `header X-Codex-Timestamp ${timestamp} ${what}: server time ${serverTime} ` +
      `(${new Date(serverTime * 1000).toISOString()}), tolerance ${toleranceSeconds} s`,
    extras: { serverTime, toleranceSeconds },
  });
}
