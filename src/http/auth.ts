import type { MiddlewareHandler } from 'hono';
import type { Client, ClientRegistry, Scope } from '../config/clients.js';
import { authenticateApiKey } from './api-key.js';
import { noopMetrics, timeAsync, type Metrics } from '../metrics/metrics-port.js';
import type { PolicyProvider } from '../policy/active-policy.js';
import type { AdmissionStore } from '../replay/admission.js';
import type { GatewayEnv, SignedRequest } from './env.js';
import { GatewayError } from '../errors.js';
import { headerOf, headerRepeated } from './incoming.js';
import { readRawRequest, type RawRequest } from './raw-request.js';
import { authenticateSignedRequest } from './signed-request.js';

/**
 * The two ways a route authenticates, as middleware the app mounts from the route table
 * (route-table.ts). Each sets `c.var.client`; the signed one also `c.var.signed`.
 */

/** `Authorization: Bearer <api key>`, what Prometheus' `authorization` scrape setting sends. */
const BEARER = /^Bearer ([!-~]{1,512})$/;

/**
 * Key-only routes (X-Api-Key, no HMAC): runs before the handler reads anything else.
 * With `bearer`, an `Authorization: Bearer <api key>` header is accepted when X-Api-Key is
 * absent (`GET /metrics`).
 */
export function keyAuth(
  clients: ClientRegistry,
  scopes: readonly Scope[],
  options: { readonly bearer?: boolean } = {},
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    // docs/protocol.md §16: a key on two lines is refused, never joined or first-wins.
    if (
      headerRepeated(c, 'x-api-key') ||
      (options.bearer === true && headerRepeated(c, 'authorization'))
    )
      throw new GatewayError('invalid_api_key', { detail: 'API key sent more than once' });
    let apiKey = headerOf(c, 'x-api-key');
    if (apiKey === undefined && options.bearer === true)
      apiKey = BEARER.exec(headerOf(c, 'authorization') ?? '')?.[1];
    c.set('client', authenticateApiKey(clients, apiKey, scopes));
    await next();
  };
}

/** What the signed-request middleware needs. */
export interface SignedAuthDeps {
  readonly clients: ClientRegistry;
  readonly admission: AdmissionStore;
  readonly policy: PolicyProvider;
  readonly toleranceSeconds: number;
  nowMs(): number;
  readonly metrics?: Metrics;
}

/**
 * Signed routes (docs/protocol.md §2): reads the body within `bodyLimitBytes` first (413 while
 * reading, before any other work), takes ONE policy snapshot for the whole request, then
 * runs checks 1–6 in order (timed as stage `verify`). Sets `c.var.client` and
 * `c.var.signed` for the handler, which runs check 7 (the body's shape).
 */
export function signedAuth(
  deps: SignedAuthDeps,
  scope: Scope,
  bodyLimitBytes: number,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const { client, signed } = await checkSignedRequest(
      deps,
      await readRawRequest(c, bodyLimitBytes),
      scope,
    );
    c.set('client', client);
    c.set('signed', signed);
    await next();
  };
}

/**
 * Checks 1–6 of a request whose body was read (timed as stage `verify`) under ONE policy
 * snapshot, which then serves the whole request even if a reload lands meanwhile. Used by
 * signedAuth and by the events lane (events-lane.ts).
 */
export async function checkSignedRequest(
  deps: SignedAuthDeps,
  raw: RawRequest,
  scope: Scope,
): Promise<{ client: Client; signed: SignedRequest }> {
  const policy = deps.policy.current();
  const auth = await timeAsync(deps.metrics ?? noopMetrics, 'verify', () =>
    authenticateSignedRequest(deps, raw, scope, (id) => policy?.ratePerMinute(id)),
  );
  return {
    client: auth.client,
    signed: { raw, bodySha256: auth.bodySha256, replay: auth.replay, policy },
  };
}
