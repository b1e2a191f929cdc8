import type { Client, ClientRegistry, Scope } from '../config/clients.js';
import { GatewayError } from '../errors.js';

/**
 * docs/protocol.md §2 check 1: the API key is known and its client holds one of `scopes`.
 * Throws 401 `invalid_api_key` or 403 `insufficient_scope`. The lookup hashes the key and
 * compares digests (config/clients.ts), so its time does not depend on the key's content.
 */
export function authenticateApiKey(
  clients: ClientRegistry,
  apiKey: string | undefined,
  scopes: readonly Scope[],
): Client {
  if (apiKey === undefined)
    throw new GatewayError('invalid_api_key', { detail: 'header X-Api-Key is missing' });
  const client = clients.byApiKey(apiKey);
  if (client === undefined)
    throw new GatewayError('invalid_api_key', {
      detail: 'header X-Api-Key: unknown API key (or the header was sent more than once)',
    });
  if (!scopes.some((s) => client.scopes.has(s)))
    throw new GatewayError('insufficient_scope', {
      detail: `the client of this X-Api-Key needs scope ${scopes.join(' or ')}`,
    });
  return client;
}
