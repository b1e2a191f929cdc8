import type { AuditEntry } from './audit-log.js';
import { decisionText } from './decision-text.js';
import { assertAuditEntry } from './entry.js';
import { canonicalBytes } from './jcs.js';

/**
 * The leaf of `entry`: the UTF-8 of its RFC 8785 canonical JSON, after the checks every
 * entry must pass. Decision entries (one per request) take the specialised writer of
 * decision-text.ts and are returned as that (well-formed) text, which a store can encode
 * straight into its batch (`MerkleLogStore.appendUtf8`); anything it does not recognise
 * (other kinds, or a decision entry that is malformed) goes through `assertAuditEntry` and
 * the generic `canonicalBytes`, which produce the same bytes or refuse (TypeError).
 */
export function entryLeaf(entry: AuditEntry): string | Uint8Array {
  const text = decisionText(entry);
  if (text !== undefined) return text;
  assertAuditEntry(entry);
  return canonicalBytes(entry);
}

/** The leaf bytes of `entry` ({@link entryLeaf} encoded). Throws like it. */
export function entryBytes(entry: AuditEntry): Uint8Array {
  const leaf = entryLeaf(entry);
  // Well-formed text (decisionText checked every string), so any UTF-8 encoder gives the
  // same bytes; Buffer.from is several times cheaper than TextEncoder#encode here.
  return typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf;
}
