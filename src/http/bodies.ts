import { z } from 'zod';
import { eventSchema } from '../events/event-schema.js';
import { HEX_64 } from '../protocol/grammar.js';

/** Longest approver name accepted on the wire; longer names cannot be in any policy worth matching. */
export const MAX_APPROVER_NAME_LENGTH = 64;

/**
 * Largest approval body read. A valid one is under 250 bytes; the bound keeps the work per
 * request small whatever a client sends (413 `payload_too_large` beyond it).
 */
export const APPROVAL_BODY_LIMIT_BYTES = 4096;

const approverField = z
  .string()
  .min(1)
  .max(MAX_APPROVER_NAME_LENGTH)
  .regex(/^[A-Za-z0-9._@-]+$/);

/**
 * `POST /v1/deploys/:id/approvals` body (docs/protocol.md §5, §12). Strict: unknown fields are
 * refused, and exactly one of `signature` (exactly 64 bytes as lowercase hex, so
 * verification only ever sees well-shaped bytes) or `sshSignature` (the armored text
 * `ssh-keygen -Y sign` prints). The armor is only typed here, not shaped: a truncated,
 * oversized or otherwise bad SSH signature is an invalid approval (401), decided by the
 * verifier, and the 4 KiB body limit already bounds it.
 */
export const approvalRequestSchema = z.union([
  z.strictObject({ approver: approverField, signature: z.string().regex(HEX_64) }),
  z.strictObject({ approver: approverField, sshSignature: z.string().min(1) }),
]);

/** A validated approval request. */
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/**
 * `POST /v1/policy/evaluate` body (docs/protocol.md §13): a client id (the clients-file grammar)
 * and an event exactly as `POST /v1/events` takes it. Strict.
 */
export const policyEvaluateRequestSchema = z.strictObject({
  client: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  event: eventSchema,
});
