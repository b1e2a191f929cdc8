import type { MiddlewareHandler } from 'hono';
import type { Client, ClientRegistry, Scope } from '../config/clients.js';
import { GatewayError } from '../errors.js';
import type { GatewayEnv } from './env.js';

/**
 * PROTOCOL §2 check 1: the API key is known and its client holds one of `scopes`.
 * Throws 401 `invalid_api_key` or 403 `insufficient_scope`.
 */
export function authenticateApiKey(
  clients: ClientRegistry,
  apiKey: string | undefined,
  scopes: readonly Scope[],
): Client {
  const client = apiKey === undefined ? undefined : clients.byApiKey(apiKey);
  if (client === undefined) throw new GatewayError('invalid_api_key');
  if (!scopes.some((s) => client.scopes.has(s))) throw new GatewayError('insufficient_scope');
  return client;
}

/** Middleware for the read routes (X-Api-Key only, no HMAC): sets `c.var.client`. */
export function requireApiKey(
  clients: ClientRegistry,
  ...scopes: Scope[]
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    c.set('client', authenticateApiKey(clients, c.req.header('x-api-key'), scopes));
    await next();
  };
}
