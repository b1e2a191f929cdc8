import type { Client, ClientRegistry, Scope } from '../config/clients.js';
import { authenticateApiKey } from './api-key.js';
import { sha256Hex } from '../crypto/index.js';
import { GatewayError } from '../errors.js';
import type { AdmissionStore } from '../replay/admission.js';
import { nonceKey } from '../replay/memory-nonce-store.js';
import { parseSignatureHeaders, timestampInWindow, verifySignature } from '../signing/index.js';
import type { RawRequest } from './raw-request.js';

/** The §2 headers besides X-Api-Key; each must come on exactly one line. */
const SIGNATURE_HEADERS = ['x-codex-timestamp', 'x-codex-nonce', 'x-codex-sig'] as const;

/** A request that passed PROTOCOL §2 checks 1–6. */
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
 * Runs checks 1–6 of PROTOCOL §2 in order, each failing closed with its code. The rate
 * limit comes from the caller's policy snapshot (`rateFor`), so check 5 uses the same
 * revision as the decision. A store that cannot answer gives 503 `unavailable`.
 */
export async function authenticateSignedRequest(
  deps: SignedRequestDeps,
  req: RawRequest,
  scope: Scope,
  rateFor: (clientId: string) => number | undefined,
): Promise<AuthenticatedRequest> {
  // PROTOCOL §16: a §2 header on two lines is refused, never joined (two X-Codex-Sig lines
  // would otherwise read as one list of signatures).
  if (req.repeated('x-api-key'))
    throw new GatewayError('invalid_api_key', { detail: 'X-Api-Key sent more than once' });
  const client = authenticateApiKey(deps.clients, req.header('x-api-key'), [scope]);
  if (SIGNATURE_HEADERS.some((name) => req.repeated(name)))
    throw new GatewayError('malformed_signature', {
      detail: 'a signature header was sent more than once',
    });

  const sig = parseSignatureHeaders(
    req.header('x-codex-timestamp'),
    req.header('x-codex-nonce'),
    req.header('x-codex-sig'),
  );
  if (sig === undefined) throw new GatewayError('malformed_signature');

  const nowMs = deps.nowMs();
  if (!timestampInWindow(sig.timestamp, nowMs, deps.toleranceSeconds))
    throw new GatewayError('timestamp_out_of_range');

  const bodySha256 = sha256Hex(req.body);
  const parts = {
    // The header text, never the parsed number (PROTOCOL §16): `00<ts>` must not verify
    // with a signature over `<ts>`, and a sender that signs the text it sends must pass.
    timestamp: sig.timestampText,
    nonce: sig.nonce,
    method: req.method,
    target: req.target,
    bodySha256,
  };
  if (!verifySignature(parts, client.signingSecrets, sig.signatures))
    throw new GatewayError('invalid_signature');

  let admitted;
  try {
    admitted = await deps.admission.admit({
      clientId: client.id,
      nonce: sig.nonce,
      timestamp: sig.timestamp,
      nowMs,
      ratePerMinute: rateFor(client.id),
    });
  } catch (cause) {
    throw new GatewayError('unavailable', { cause });
  }
  if (!admitted.ok) {
    if (admitted.code === 'rate_limited')
      throw new GatewayError('rate_limited', { retryAfter: admitted.retryAfterSeconds });
    if (admitted.code === 'timestamp_out_of_range')
      throw new GatewayError('timestamp_out_of_range', {
        detail: 'timestamp too old for the replay window',
      });
    throw new GatewayError('replayed_nonce');
  }
  return {
    client,
    bodySha256,
    replay: { nonce: `sha256:${nonceKey(client.id, sig.nonce)}`, timestamp: sig.timestamp },
  };
}
