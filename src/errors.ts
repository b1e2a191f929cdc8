/**
 * The one error type the domain raises. Each carries a stable `code` from docs/protocol.md §7;
 * only `http/problem.ts` knows which HTTP status a code maps to.
 */
export type ErrorCode =
  | 'invalid_api_key'
  | 'insufficient_scope'
  | 'malformed_signature'
  | 'timestamp_out_of_range'
  | 'invalid_signature'
  | 'replayed_nonce'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_body'
  | 'policy_denied'
  | 'rate_limited'
  | 'unknown_deploy'
  | 'unknown_approver'
  | 'invalid_approval'
  | 'already_approved'
  | 'deploy_expired'
  | 'deploy_closed'
  | 'deploy_not_approved'
  | 'unknown_delivery'
  | 'delivery_not_dead'
  | 'invalid_range'
  | 'not_found'
  | 'unavailable'
  | 'internal';

/** Extra fields a problem+json answer may carry (e.g. `decision`, `reasons`, `audit`). */
export type ProblemExtras = Readonly<Record<string, unknown>>;

export interface GatewayErrorOptions {
  /** Human-readable detail; must never contain a secret or internal state. */
  readonly detail?: string;
  /** Seconds, for `rate_limited` (sent as `Retry-After`). */
  readonly retryAfter?: number;
  /** Extra members added to the problem document. */
  readonly extras?: ProblemExtras;
  readonly cause?: unknown;
}

/** A refusal with a stable, client-visible code. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;
  readonly extras: ProblemExtras | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(
      options.detail ?? code,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.code = code;
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
    this.extras = options.extras;
  }
}

/** True when `err` is a GatewayError (a plain `instanceof`: one copy of this module is loaded). */
export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
