/**
 * Port: the append side of the audit log, as the request path sees it. The Merkle log in
 * this folder implements it; an answer may cite `index` only after `append` resolved,
 * because resolution means the entry is durable on disk.
 */

/** What every audit entry carries (PROTOCOL §6); more fields depend on `type`. */
export interface AuditEntryBase {
  readonly v: 1;
  readonly type: 'decision' | 'approval' | 'policy' | 'delivery';
  /** RFC 3339 UTC with milliseconds. */
  readonly time: string;
  readonly id: string;
}

/** A JSON-safe audit entry: plain objects, arrays, strings, finite numbers, booleans, null. */
export type AuditEntry = AuditEntryBase & Readonly<Record<string, unknown>>;

/** Where an appended entry sits in the tree. */
export interface AuditReceipt {
  readonly index: number;
  /** Lowercase hex RFC 6962 leaf hash. */
  readonly leafHash: string;
}

export interface AuditAppender {
  /** Appends one entry and resolves once it is durable (fsync). Rejects if it could not be stored. */
  append(entry: AuditEntry): Promise<AuditReceipt>;
}
