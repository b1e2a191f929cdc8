import { z } from 'zod';
import { DIGEST_LABEL } from '../../protocol/grammar.js';

/**
 * Shapes of the answers (docs/protocol.md §3–§7), for the OpenAPI document only. Request bodies are
 * NOT defined here: the document imports the very schemas the routes validate with.
 */

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const digestLabel = z.string().regex(DIGEST_LABEL);
const rfc3339 = z.string().describe('RFC 3339 UTC with milliseconds');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable snake_case code (docs/protocol.md §7)'),
    detail: z.string().optional(),
  })
  .describe('RFC 9457 problem document; a 5xx never carries detail');

export const auditReceiptSchema = z
  .object({
    index: z.number().int().min(0),
    leafHash: hex(32),
    checkpoint: z
      .string()
      .describe('C2SP signed checkpoint note (§6) of a tree whose size is greater than index'),
    proof: z.array(hex(32)).describe('RFC 9162 §2.1.3 inclusion proof of leafHash in it'),
  })
  .describe('receipt (docs/protocol.md §9): verifiable on its own with the log key');

const voteSchema = z.object({
  approver: z.string(),
  publicKey: hex(32),
  signature: hex(64),
});

export const deployViewSchema = z.object({
  id: z.string(),
  state: z.enum(['pending', 'approved', 'expired']),
  threshold: z.number().int().min(1),
  approvers: z.array(z.string()),
  approvedBy: z.array(z.string()),
  expiresAt: rfc3339,
  message: z.string().describe('the exact codex-approval/v1 text approvers sign'),
  approvals: z
    .array(voteSchema)
    .optional()
    .describe('approved only: the counted votes, in order of acceptance (docs/protocol.md §10)'),
  decision: auditReceiptSchema
    .optional()
    .describe('approved only: the audit entry of the allow decision (docs/protocol.md §10)'),
});

export const allowAnswerSchema = z.object({
  decision: z.literal('allow'),
  id: z.string(),
  policy: digestLabel,
  audit: auditReceiptSchema,
});

export const pendingAnswerSchema = z.object({
  decision: z.literal('pending'),
  id: z.string(),
  policy: digestLabel,
  deploy: deployViewSchema.omit({ approvedBy: true, approvals: true, decision: true }),
  audit: auditReceiptSchema,
});

export const denyProblemSchema = problemSchema.extend({
  decision: z.literal('deny'),
  id: z.string(),
  policy: digestLabel.nullable(),
  reasons: z.array(z.string()),
  audit: auditReceiptSchema,
});

export const approvalAnswerSchema = deployViewSchema.extend({
  audit: auditReceiptSchema,
  decision: auditReceiptSchema
    .extend({ decision: z.literal('allow'), audit: auditReceiptSchema })
    .optional()
    .describe('when this approval released the deploy: its allow entry'),
});

const reloaderStatus = {
  revision: digestLabel.optional(),
  activatedAt: rfc3339.optional(),
  lastError: z.string().optional(),
  lastAttemptAt: rfc3339.optional(),
};

export const policyStatusSchema = z.object({
  ...reloaderStatus,
  /** Present when GATEWAY_POLICY_CANDIDATE_FILE is set (docs/protocol.md §13). */
  candidate: z
    .object({
      ...reloaderStatus,
      disagreements: z.number().int().min(0),
      compared: z.number().int().min(0),
    })
    .optional(),
});

const policyAnswer = {
  decision: z.enum(['allow', 'deny', 'pending']),
  reasons: z.array(z.string()),
};

/** `POST /v1/policy/evaluate` (docs/protocol.md §13). */
export const policyEvaluateAnswerSchema = z.object({
  ...policyAnswer,
  policy: digestLabel.nullable(),
  candidate: z.object({ ...policyAnswer, policy: digestLabel }).optional(),
});

export const auditKeySchema = z.object({
  origin: z.string(),
  publicKey: hex(32),
  vkey: z.string(),
});

export const auditEntryViewSchema = z.object({
  index: z.number().int().min(0),
  leafHash: hex(32),
  leaf: z.string().describe('the exact leaf text (RFC 8785 JSON)'),
  entry: z.record(z.string(), z.unknown()),
});

export const auditEntriesSchema = z.object({
  start: z.number().int().min(0),
  entries: z.array(auditEntryViewSchema),
});

export const inclusionProofSchema = z.object({
  index: z.number().int().min(0),
  size: z.number().int().min(1),
  leafHash: hex(32),
  root: hex(32),
  proof: z.array(hex(32)),
});

export const consistencyProofSchema = z.object({
  from: z.number().int().min(1),
  to: z.number().int().min(1),
  root: hex(32),
  proof: z.array(hex(32)),
});

export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  failing: z.array(z.string()),
});

/** `GET /v1/deploys/:id/attestation` (docs/protocol.md §10): a DSSE envelope. */
export const dsseEnvelopeSchema = z.object({
  payloadType: z.literal('application/vnd.in-toto+json'),
  payload: z.string().describe('standard base64 of the in-toto Statement v1 (UTF-8 JSON)'),
  signatures: z
    .array(
      z.object({
        keyid: z.string().describe("8 hex: the key id of the audit log's vkey"),
        sig: z.string().describe('standard base64 Ed25519 signature over the DSSE PAE'),
      }),
    )
    .length(1),
});

export const deliveriesSchema = z.object({
  deliveries: z.array(
    z.object({
      id: z
        .string()
        .regex(/^msg_[0-9a-f]{32}$/)
        .describe('the webhook-id, the same on every attempt'),
      target: z.string(),
      type: z.enum(['event.allowed', 'deploy.approved']),
      decision: z.string(),
      state: z.enum(['pending', 'delivered', 'dead']),
      attempts: z.number().int().min(0),
      lastStatus: z.number().int().nullable(),
      nextAttemptAt: rfc3339.nullable(),
    }),
  ),
});

export const deliveryRetrySchema = z.object({
  id: z.string(),
  state: z.literal('pending'),
});
