import { z } from 'zod';

/** Longest approver name accepted on the wire; longer names cannot be in any policy worth matching. */
export const MAX_APPROVER_NAME_LENGTH = 64;

/**
 * Largest approval body read. A valid one is under 250 bytes; the bound keeps the work per
 * request small whatever a client sends (413 `payload_too_large` beyond it).
 */
export const APPROVAL_BODY_LIMIT_BYTES = 4096;

/**
 * `POST /v1/deploys/:id/approvals` body (PROTOCOL §5). Strict: unknown fields are refused.
 * The signature must be exactly 64 bytes as lowercase hex, so malformed input is refused
 * here as `invalid_body` and verification only ever sees well-shaped bytes.
 */
export const approvalRequestSchema = z.strictObject({
  approver: z
    .string()
    .min(1)
    .max(MAX_APPROVER_NAME_LENGTH)
    .regex(/^[A-Za-z0-9._@-]+$/),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});

/** A validated approval request. */
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;
