import { z } from 'zod';
import { IN_TOTO_STATEMENT_V1 } from '../provenance/in-toto-statement.js';
import { RELEASE_PREDICATE_TYPE } from './release-statement.js';

/**
 * Shape of a release statement as a verifier reads it (docs/protocol.md §10). The statement comes
 * from a file a deploy target was handed, so every string and list is bounded before any
 * check runs; content rules (message text, signatures, proofs) are checked later, each by
 * the numbered check it belongs to.
 */

/** Most votes read from a statement; a policy quorum lists at most 16 approvers. */
export const MAX_STATEMENT_APPROVALS = 64;
/** An SSHSIG armor for an Ed25519 key is about 300 characters; 4 KiB leaves room. */
const MAX_SSH_SIGNATURE = 4096;

const shortText = z.string().max(256);

const voteSchema = z.strictObject({
  approver: z.string().min(1).max(64),
  publicKey: z.string().max(1024),
  signature: z.string().max(256).optional(),
  sshSignature: z.string().max(MAX_SSH_SIGNATURE).optional(),
});

export const releaseStatementSchema = z.strictObject({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z
    .array(
      z.strictObject({
        name: shortText,
        digest: z.record(z.string().max(32), z.string().max(256)),
      }),
    )
    .min(1)
    .max(16),
  predicateType: z.literal(RELEASE_PREDICATE_TYPE),
  predicate: z.strictObject({
    deploy: z.strictObject({
      id: shortText,
      action: shortText,
      target: shortText,
      environment: shortText,
      artifact: shortText,
      request: shortText,
      policy: shortText,
      expiresAt: shortText,
      message: z.string().max(2048),
    }),
    quorum: z.strictObject({
      threshold: z.number().int().min(0).max(1000),
      approvers: z.array(z.string().max(64)).max(MAX_STATEMENT_APPROVALS),
    }),
    approvals: z.array(voteSchema).max(MAX_STATEMENT_APPROVALS),
    log: z.strictObject({
      origin: shortText,
      index: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      leafHash: z.string().max(64),
      leaf: z.string().max(16 * 1024),
      checkpoint: z.string().max(16 * 1024),
      proof: z.array(z.string().max(64)).max(64),
    }),
  }),
});

/** A statement that passed the shape check (values not yet trusted). */
export type ParsedReleaseStatement = z.infer<typeof releaseStatementSchema>;
