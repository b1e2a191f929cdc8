import { z } from 'zod';
import { sha256Hex } from '../crypto/index.js';
import { HEX_32 } from '../protocol/grammar.js';

/**
 * Scopes a client may hold (docs/protocol.md §1, §15); `metrics:read` guards `GET /metrics`
 * (docs/operations.md), `deliveries:write` the delivery routes, `policy:test` the
 * side-effect-free `POST /v1/policy/evaluate`.
 */
export const SCOPES = [
  'events:write',
  'approvals:write',
  'audit:read',
  'metrics:read',
  'deliveries:write',
  'policy:test',
] as const;
export type Scope = (typeof SCOPES)[number];

/** A client as the gateway uses it: secrets as UTF-8 bytes, ready for HMAC. */
export interface Client {
  readonly id: string;
  readonly signingSecrets: readonly Uint8Array[];
  readonly scopes: ReadonlySet<Scope>;
}

/** Schema of the clients file (docs/protocol.md §1). Strict: unknown fields are load errors. */
export const clientsFileSchema = z.strictObject({
  clients: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
        apiKeySha256: z.string().regex(HEX_32, 'must be 64 lowercase hex'),
        signingSecrets: z
          .array(z.string().min(32, 'secret shorter than 32 characters'))
          .min(1)
          .max(8),
        scopes: z.array(z.enum(SCOPES)).max(SCOPES.length),
      }),
    )
    .max(10_000),
});
export type ClientsFile = z.infer<typeof clientsFileSchema>;

/** Looks clients up by API key; the key itself is never stored, only its SHA-256. */
export interface ClientRegistry {
  byApiKey(apiKey: string): Client | undefined;
  readonly size: number;
}

/**
 * Validates the parsed clients file and builds the registry. Throws an Error whose
 * message names the problem (path and rule) but never a secret or key value.
 */
export function buildClientRegistry(raw: unknown, opts: { production: boolean }): ClientRegistry {
  const parsed = clientsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`clients file: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  const byHash = new Map<string, Client>();
  const ids = new Set<string>();
  for (const [i, c] of parsed.data.clients.entries()) {
    if (ids.has(c.id)) throw new Error(`clients file: clients.${i}.id duplicate id`);
    if (byHash.has(c.apiKeySha256))
      throw new Error(`clients file: clients.${i}.apiKeySha256 duplicate API key`);
    if (opts.production && c.id.startsWith('dev-'))
      throw new Error(`clients file: clients.${i}.id dev- clients are refused in production`);
    ids.add(c.id);
    byHash.set(
      c.apiKeySha256,
      Object.freeze({
        id: c.id,
        signingSecrets: Object.freeze(c.signingSecrets.map((s) => new TextEncoder().encode(s))),
        scopes: new Set(c.scopes),
      }),
    );
  }
  return {
    // The map is keyed by a hash of the key, so the lookup leaks nothing useful by timing:
    // an attacker cannot steer which bytes of a stored hash are compared.
    byApiKey: (apiKey) => (apiKey.length > 256 ? undefined : byHash.get(sha256Hex(apiKey))),
    size: byHash.size,
  };
}
