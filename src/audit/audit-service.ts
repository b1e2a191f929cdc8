import { toHex } from '../crypto/index.js';
import { GatewayError } from '../errors.js';
import type { AuditAppender, AuditEntry, AuditReceipt } from './audit-log.js';
import { formatVkey, type NoteVerifier } from './checkpoint.js';
import type { CheckpointSigner } from './checkpoint-signer.js';
import { entryLeaf } from './entry-bytes.js';
import type { MerkleLogStore } from './log-store.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/** `GET /v1/audit/key` (docs/protocol.md §6). */
export interface AuditKeyView {
  readonly origin: string;
  readonly publicKey: string;
  readonly vkey: string;
}

/** `GET /v1/audit/entries/<index>`: the exact leaf text and its parsed entry. */
export interface AuditEntryView {
  readonly index: number;
  readonly leafHash: string;
  readonly leaf: string;
  readonly entry: unknown;
}

export interface InclusionView {
  readonly index: number;
  readonly size: number;
  readonly leafHash: string;
  readonly root: string;
  readonly proof: string[];
}

export interface ConsistencyView {
  readonly from: number;
  readonly to: number;
  readonly root: string;
  readonly proof: string[];
}

/** What the audit read routes need; every index/size argument is range-checked here. */
export interface AuditReader {
  /** Current number of durable entries. */
  size(): number;
  /** The signed checkpoint note of the current tree. */
  checkpoint(): Promise<string>;
  key(): AuditKeyView;
  /** Entries `start .. start+count-1`; the whole range must exist. */
  entries(start: number, count: number): Promise<AuditEntryView[]>;
  /** Inclusion proof of `index` in the tree of `size` (default: current size). */
  inclusion(index: number, size?: number): Promise<InclusionView>;
  /** Consistency proof from `from` (≥ 1) to `to` (default: current size). */
  consistency(from: number, to?: number): Promise<ConsistencyView>;
}

/**
 * The audit log as the rest of the gateway sees it: appends canonical (RFC 8785) entries
 * to the Merkle store and answers the read routes. Out-of-range requests are
 * `invalid_range`; the size used by one call is read once, so a concurrent append cannot
 * make a proof and its root disagree.
 */
export class AuditService implements AuditAppender, AuditReader {
  private readonly keyView: AuditKeyView;

  constructor(
    private readonly store: MerkleLogStore,
    /** Signs on demand for a store without signed heads of its own (else unused). */
    private readonly signer: CheckpointSigner | undefined,
    verifier: NoteVerifier,
  ) {
    this.keyView = {
      origin: verifier.name,
      publicKey: toHex(verifier.publicKey),
      vkey: formatVkey(verifier),
    };
  }

  /**
   * Appends `entry`; resolves once it and a signed checkpoint covering it are durable, with
   * the receipt (§9). Throws TypeError for an invalid entry, and an Error when the store
   * was opened without a signer (an answer must never go out without its receipt).
   */
  async append(entry: AuditEntry): Promise<AuditReceipt> {
    const leaf = entryLeaf(entry);
    const stored = await (typeof leaf === 'string' && this.store.appendUtf8 !== undefined
      ? this.store.appendUtf8(leaf)
      : this.store.append(typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf));
    if (stored.checkpoint === undefined || stored.proof === undefined)
      throw new Error('audit log store returned no receipt (opened without a signer)');
    const hex = stored.hex;
    return {
      index: stored.index,
      leafHash: hex === undefined ? toHex(stored.leafHash) : hex.leafHash,
      checkpoint: stored.checkpoint.note,
      proof: hex === undefined ? stored.proof.map(toHex) : hex.proof,
    };
  }

  size(): number {
    return this.store.size();
  }

  /**
   * The latest signed head the store holds (the one every receipt extends): read fresh,
   * so a store shared by several instances also serves the others' appends. A store
   * without heads of its own is signed on demand by the CheckpointSigner.
   */
  async checkpoint(): Promise<string> {
    if (this.store.latest !== undefined) return (await this.store.latest()).note;
    if (this.signer === undefined) throw new Error('audit log has no checkpoint signer');
    return (await this.signer.current()).note;
  }

  /** The current size, after catching up with the store's latest head. */
  private async freshSize(): Promise<number> {
    if (this.store.latest !== undefined) await this.store.latest();
    return this.store.size();
  }

  key(): AuditKeyView {
    return this.keyView;
  }

  async entries(start: number, count: number): Promise<AuditEntryView[]> {
    const size = await this.freshSize();
    if (!isCount(start) || !isCount(count) || count < 1 || start + count > size)
      throw rangeError(`entries ${start}..${start + count - 1} are not all in the log of ${size}`);
    const views: Promise<AuditEntryView>[] = [];
    for (let i = start; i < start + count; i++) views.push(this.entryAt(i));
    return Promise.all(views);
  }

  async inclusion(index: number, size?: number): Promise<InclusionView> {
    const current = await this.freshSize();
    size ??= current;
    if (!isCount(size) || size > current)
      throw rangeError(`size ${size} is beyond the log of ${current}`);
    if (!isCount(index) || index >= size)
      throw rangeError(`index ${index} is not in the tree of ${size}`);
    const [leafHash, root, proof] = await Promise.all([
      this.store.leafHash(index),
      this.store.rootAt(size),
      this.store.inclusionProof(index, size),
    ]);
    return { index, size, leafHash: toHex(leafHash), root: toHex(root), proof: proof.map(toHex) };
  }

  async consistency(from: number, to?: number): Promise<ConsistencyView> {
    const current = await this.freshSize();
    to ??= current;
    if (!isCount(to) || to > current) throw rangeError(`to ${to} is beyond the log of ${current}`);
    if (!isCount(from) || from < 1 || from > to)
      throw rangeError(`from must be between 1 and to (${to})`);
    const [root, proof] = await Promise.all([
      this.store.rootAt(to),
      this.store.consistencyProof(from, to),
    ]);
    return { from, to, root: toHex(root), proof: proof.map(toHex) };
  }

  private async entryAt(index: number): Promise<AuditEntryView> {
    const [bytes, hash] = await Promise.all([this.store.leaf(index), this.store.leafHash(index)]);
    const leaf = decodeStrictUtf8(bytes);
    return { index, leafHash: toHex(hash), leaf, entry: JSON.parse(leaf) as unknown };
  }
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function rangeError(detail: string): GatewayError {
  return new GatewayError('invalid_range', { detail });
}
