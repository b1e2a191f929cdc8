import { readFile, stat } from 'node:fs/promises';
import { verifyCheckpoint, type Checkpoint, type NoteVerifier } from '../audit/checkpoint.js';
import { verifyInclusion } from '../audit/merkle.js';
import { constantTimeEqual, toHex } from '../crypto/index.js';
import { parseBoundedJson } from '../client/bounded-json.js';
import { AuditFailure, getJson, hashField, intField, proofField } from './audit-http.js';
import { shown } from './render.js';

/** A saved receipt is a small JSON file; anything bigger is not one. */
const MAX_RECEIPT_BYTES = 256 * 1024;

/** A receipt (docs/protocol.md §9) whose fields have the right shapes (nothing verified yet). */
export interface Receipt {
  readonly index: number;
  readonly leafHash: Uint8Array;
  readonly checkpoint: string;
  readonly proof: Uint8Array[];
}

/**
 * Reads a saved receipt: either the `audit` object itself or a whole answer that carries
 * one (`{ ..., "audit": {...} }`, e.g. the body of POST /v1/events saved as is).
 */
export async function readReceiptFile(file: string): Promise<Receipt> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new AuditFailure(`receipt ${shown(file)} is not a regular file`);
    if (info.size > MAX_RECEIPT_BYTES)
      throw new AuditFailure(`receipt ${shown(file)} is larger than ${MAX_RECEIPT_BYTES} bytes`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof AuditFailure) throw err;
    throw new AuditFailure(`cannot read receipt ${shown(file)}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseBoundedJson(text, { maxDepth: 8, maxTokens: 10_000 });
  } catch {
    throw new AuditFailure('receipt is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuditFailure('receipt is not a JSON object');
  let o = value as Record<string, unknown>;
  const inner = o['audit'];
  if (typeof inner === 'object' && inner !== null && !Array.isArray(inner))
    o = inner as Record<string, unknown>;
  const where = 'receipt';
  const checkpoint = o['checkpoint'];
  if (typeof checkpoint !== 'string') throw new AuditFailure(`${where}: checkpoint is missing`);
  return {
    index: intField(o, 'index', where),
    leafHash: hashField(o, 'leafHash', where),
    checkpoint,
    proof: proofField(o, where, 64),
  };
}

/**
 * Offline checks: the checkpoint is signed by the log key, covers the index, and the proof
 * leads from the leaf hash to its root. Returns the checkpoint.
 */
export function verifyReceiptOffline(r: Receipt, vkey: NoteVerifier): Checkpoint {
  const cp = verifyCheckpoint(r.checkpoint, vkey); // NoteError when the signature is bad
  if (r.index >= cp.size)
    throw new AuditFailure(
      `receipt: index ${r.index} is not in its checkpoint's tree of size ${cp.size}`,
    );
  if (!verifyInclusion(r.leafHash, r.index, cp.size, r.proof, cp.root))
    throw new AuditFailure(
      `receipt: entry ${r.index} (leaf hash ${toHex(r.leafHash)}) is NOT included in its checkpoint of size ${cp.size}`,
    );
  return cp;
}

/**
 * Live checks against the gateway's current signed checkpoint `now`: the entry is still
 * included (inclusion proof of the receipt's leaf hash in the current tree), and the
 * current tree extends the receipt's (consistency proof), so nothing it covered was cut
 * or rewritten. `consistency` is the auditor's consistency check (audit.ts).
 */
export async function verifyReceiptLive(
  url: string,
  apiKey: string,
  r: Receipt,
  signed: Checkpoint,
  now: Checkpoint,
  consistency: (oldSize: number, oldRoot: Uint8Array, cp: Checkpoint) => Promise<void>,
): Promise<void> {
  await consistency(signed.size, signed.root, now);
  const where = 'inclusion proof';
  const p = await getJson(
    url,
    `/v1/audit/proofs/inclusion?index=${r.index}&size=${now.size}`,
    apiKey,
  );
  if (intField(p, 'index', where) !== r.index || intField(p, 'size', where) !== now.size)
    throw new AuditFailure(`${where}: answers for the wrong index or size`);
  if (!constantTimeEqual(hashField(p, 'leafHash', where), r.leafHash))
    throw new AuditFailure(
      `entry ${r.index} in the live log is not the receipt's entry (leaf hash differs)`,
    );
  if (!verifyInclusion(r.leafHash, r.index, now.size, proofField(p, where, 64), now.root))
    throw new AuditFailure(
      `entry ${r.index} is NOT included in the live signed tree of size ${now.size}`,
    );
}
