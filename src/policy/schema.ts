import { z } from 'zod';
import { MAX_SSH_KEY_LINE_LENGTH } from '../crypto/index.js';
import { APPROVER_KEY_PATTERN } from './approver-key.js';
import { ACTION } from '../protocol/grammar.js';

/**
 * The policy file format (docs/protocol.md §4), strict: an unknown field anywhere is a load error,
 * so a typo such as `"maxstep": 3` can never silently leave a rule unset. Absent optional
 * sections are filled with their defaults. `policy/policy.schema.json` is generated from
 * this schema (`npm run policy:schema`) so editors validate the file while it is written.
 */

/** Same grammar as the event `action` (docs/protocol.md §3). */
const actionName = z.string().regex(ACTION, `must match ${ACTION.source}`);
/** A client id as in the clients file, optionally ending in `*` (prefix wildcard, dev mode only). */
const clientKey = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,64}\*?$/,
    'must be a client id, optionally ending in * (dev mode only)',
  );
const ruleName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must match ^[a-z][a-z0-9_]{0,63}$');
/** Grammar of an approver name; also what the CLI accepts from a server that shows one. */
export const APPROVER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const approverName = z.string().regex(APPROVER_NAME_PATTERN, 'must match ^[a-z][a-z0-9_-]{0,31}$');

export const DEFAULT_MAX_STEPS = 12;
export const DEFAULT_QUORUM_TTL_SECONDS = 900;
/** Longest deploy TTL a policy may set (7 days); `approve` warns about a later expiry. */
export const MAX_QUORUM_TTL_SECONDS = 604_800;

export const policySchema = z.strictObject({
  /** Lets editors find the JSON Schema; ignored by the gateway. */
  $schema: z.string().max(2048).optional(),
  version: z.literal(1),
  maxSteps: z.number().int().min(0).max(10_000).default(DEFAULT_MAX_STEPS),
  clients: z
    .record(
      clientKey,
      z.strictObject({
        actions: z.array(actionName).max(64),
        ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
      }),
    )
    .default({}),
  deny: z
    .strictObject({
      patterns: z
        .array(z.strictObject({ name: ruleName, regex: z.string().min(1).max(1000) }))
        .max(256)
        .default([]),
      emoji: z.array(z.string().min(1).max(64)).max(1024).default([]),
    })
    .prefault({}),
  approvers: z
    .record(
      approverName,
      // docs/protocol.md §12: 64 hex, or an OpenSSH `ssh-ed25519` / `sk-ssh-ed25519@openssh.com`
      // public key line; the key itself is checked in semantic-checks.ts.
      z
        .string()
        .max(MAX_SSH_KEY_LINE_LENGTH)
        .regex(
          APPROVER_KEY_PATTERN,
          'must be 64 lowercase hex characters or an OpenSSH ssh-ed25519 / sk-ssh-ed25519@openssh.com public key line',
        ),
    )
    .default({}),
  quorum: z
    .record(
      actionName,
      z.strictObject({
        threshold: z.number().int().min(1),
        approvers: z.array(approverName).min(1).max(16),
        ttlSeconds: z
          .number()
          .int()
          .min(1)
          .max(MAX_QUORUM_TTL_SECONDS)
          .default(DEFAULT_QUORUM_TTL_SECONDS),
      }),
    )
    .default({}),
});

/** A policy file after validation, with defaults filled. */
export type PolicyDocument = z.infer<typeof policySchema>;
