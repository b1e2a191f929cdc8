import { z } from 'zod';
import { DELIVERY_TYPES, type DeliveryType } from './delivery.js';
import { ACTION } from '../protocol/grammar.js';

/**
 * The targets file (docs/protocol.md §11): which systems behind the gateway hear of which
 * happenings. Only the operator's file names URLs; nothing from a request ever does, so
 * events cannot point the gateway at other hosts (no SSRF from events).
 */

/** Decoded secret length bounds, bytes (Standard Webhooks: at least 24, at most 64 here). */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** Decodes a `whsec_<standard base64>` secret; undefined unless canonical and 24..64 bytes. */
export function decodeWebhookSecret(secret: string): Uint8Array | undefined {
  const m = SECRET.exec(secret);
  if (m === null) return undefined;
  const b64 = m[1] as string;
  const bytes = Buffer.from(b64, 'base64');
  // Node's decoder skips junk silently: re-encode to insist on exactly canonical base64.
  if (bytes.toString('base64') !== b64) return undefined;
  if (bytes.length < SECRET_MIN_BYTES || bytes.length > SECRET_MAX_BYTES) return undefined;
  return new Uint8Array(bytes);
}

const urlSchema = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute http: or https: URL')
  // Credentials in the URL would be logged and shown in errors; secrets belong in `secrets`.
  .refine((s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''), {
    message: 'must not contain a user name or password',
  });

/** Schema of the targets file. Strict: unknown fields are load errors. */
export const targetsFileSchema = z.strictObject({
  targets: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]'),
        url: urlSchema,
        secrets: z
          .array(
            z
              .string()
              .refine(
                (s) => decodeWebhookSecret(s) !== undefined,
                `secret must be whsec_ and the standard base64 of ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes`,
              ),
          )
          .min(1)
          .max(8),
        events: z.array(z.enum(DELIVERY_TYPES)).min(1).max(DELIVERY_TYPES.length),
        actions: z
          .array(z.string().regex(ACTION, 'must be an action name'))
          .min(1)
          .max(256)
          .optional(),
      }),
    )
    .max(256),
});

/** A target as the dispatcher uses it: secrets decoded, ready for HMAC. */
export interface DeliveryTarget {
  readonly id: string;
  readonly url: URL;
  readonly keys: readonly Uint8Array[];
  readonly events: ReadonlySet<DeliveryType>;
  /** Absent: every action. */
  readonly actions: ReadonlySet<string> | undefined;
}

/** The loaded targets. */
export interface TargetRegistry {
  readonly all: readonly DeliveryTarget[];
  byId(id: string): DeliveryTarget | undefined;
  /** Targets that receive `type` for an event of `action`, in file order. */
  matching(type: DeliveryType, action: string): DeliveryTarget[];
}

/** An empty registry: no targets configured, nothing is ever owed. */
export const NO_TARGETS: TargetRegistry = buildTargetRegistry({ targets: [] });

/**
 * Validates the parsed targets file and builds the registry. Throws an Error whose message
 * names the problem (path and rule) but never a secret.
 */
export function buildTargetRegistry(raw: unknown): TargetRegistry {
  const parsed = targetsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`targets file: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  const byId = new Map<string, DeliveryTarget>();
  for (const [i, t] of parsed.data.targets.entries()) {
    if (byId.has(t.id)) throw new Error(`targets file: targets.${i}.id duplicate id`);
    byId.set(
      t.id,
      Object.freeze({
        id: t.id,
        url: new URL(t.url),
        keys: Object.freeze(t.secrets.map((s) => decodeWebhookSecret(s) as Uint8Array)),
        events: new Set(t.events),
        actions: t.actions === undefined ? undefined : new Set(t.actions),
      }),
    );
  }
  const all = Object.freeze([...byId.values()]);
  return {
    all,
    byId: (id) => byId.get(id),
    matching: (type, action) =>
      all.filter((t) => t.events.has(type) && (t.actions === undefined || t.actions.has(action))),
  };
}
