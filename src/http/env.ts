import type { HttpBindings } from '@hono/node-server';
import type { Client } from '../config/clients.js';
import type { ActivePolicy } from '../policy/active-policy.js';
import type { RawRequest } from './raw-request.js';

/** What the signed-request middleware hands the route after docs/protocol.md §2 checks 1–6. */
export interface SignedRequest {
  readonly raw: RawRequest;
  /** Lowercase hex SHA-256 of the raw body. */
  readonly bodySha256: string;
  /** The admitted nonce (`sha256:` of `client\nnonce`) and timestamp, for the audit entry. */
  readonly replay: { readonly nonce: string; readonly timestamp: number };
  /**
   * The policy snapshot taken when the request started: its rate limit was applied in
   * check 5 and the route decides under the same revision.
   */
  readonly policy: ActivePolicy | undefined;
}

/**
 * Hono environment of the gateway. `incoming` is the raw Node request when served by
 * @hono/node-server (absent under `app.request()` in tests); reading from it directly
 * avoids building a WHATWG Request on the hot path (see DESIGN.md, performance notes).
 */
export interface GatewayEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    /** Set by either auth middleware (auth.ts). */
    client: Client;
    /** Set by the signed-request middleware only. */
    signed: SignedRequest;
    /** An answer built with its `X-Request-Id` already set (json-answer.ts). */
    stamped: Response;
  };
}
