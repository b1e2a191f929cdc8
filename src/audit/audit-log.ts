/**
 * Port: the append side of the audit log, as the request path sees it. The Merkle log in
 * this folder implements it; an answer may cite `index` only after `append` resolved,
 * because resolution means the entry is durable on disk.
 */

/** What every audit entry carries (docs/protocol.md §6); more fields depend on `type`. */
export interface AuditEntryBase {
  readonly v: 1;
  readonly type: 'decision' | 'approval' | 'policy' | 'delivery';
  /** RFC 3339 UTC with milliseconds. */
  readonly time: string;
  readonly id: string;
}

/** A JSON-safe audit entry: plain objects, arrays, strings, finite numbers, booleans, null. */
export type AuditEntry = AuditEntryBase & Readonly<Record<string, unknown>>;

/**
 * Where an appended entry sits in the tree, and the proof of it (docs/protocol.md §9): the signed
 * checkpoint that covers it (durable before the append resolved) and the inclusion proof
 * of `leafHash` at `index` in that checkpoint's tree.
 */
export interface AuditReceipt {
  readonly index: number;
  /** Lowercase hex RFC 6962 leaf hash. */
  readonly leafHash: string;
  /** C2SP signed note of a tree whose size is greater than `index`. */
  readonly checkpoint: string;
  /** RFC 9162 §2.1.3 inclusion proof, lowercase hex hashes. */
  readonly proof: readonly string[];
}

export interface AuditAppender {
  /** Appends one entry and resolves once it is durable (fsync). Rejects if it could not be stored. */
  append(entry: AuditEntry): Promise<AuditReceipt>;
}
