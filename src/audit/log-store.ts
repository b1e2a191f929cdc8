/**
 * Port: durable storage of the Merkle log's leaves and tree hashes. Adapters:
 * `openFileLogStore(dir, opts)` in `storage/file-log-store.ts` (one process) and
 * `openPgLogStore(...)` in `postgres/pg-log-store.ts` (one log for many instances), chosen
 * in compose.ts (this port stays free of node:fs). The audit service above it turns entries
 * into canonical (JCS) leaf bytes and implements `AuditAppender` on top of this.
 */

/** A signed checkpoint note and the tree head it commits to (a log's signed head). */
export interface SignedHead {
  readonly note: string;
  readonly size: number;
  /** 32-byte RFC 6962 root. */
  readonly root: Uint8Array;
}

/**
 * How a driver signs the heads it stores (docs/protocol.md §9): one checkpoint per committed batch.
 * `verify` checks a stored note with the log's key and returns the head it commits to
 * (throws on a bad signature, origin or shape).
 */
export interface HeadSigner {
  sign(size: number, root: Uint8Array): string;
  verify(note: string): { readonly size: number; readonly root: Uint8Array };
}

/** Where an appended leaf sits; returned once it is durable. */
export interface StoredLeaf {
  readonly index: number;
  /** RFC 6962 leaf hash, 32 bytes. */
  readonly leafHash: Uint8Array;
  /**
   * A durable signed head covering the leaf (size > index), and the leaf's inclusion proof
   * in it: the receipt of §9. Present when the driver was opened with a HeadSigner.
   */
  readonly checkpoint?: SignedHead;
  readonly proof?: Uint8Array[];
  /**
   * Lowercase hex of `leafHash` and of each `proof` node, when the driver made them with the
   * batch (the file log encodes each distinct hash once per batch: batch-hex.ts); the audit
   * service hex-encodes the bytes itself otherwise.
   */
  readonly hex?: { readonly leafHash: string; readonly proof: string[] };
}

/**
 * An append-only RFC 6962 log. Sizes and indices are plain numbers (safe integers).
 * Read methods throw RangeError for an index/size outside the durable tree. That is a
 * caller bug (an unhandled RangeError becomes a 500): the audit service range-checks
 * every value from the wire first and answers 400 `invalid_range` itself.
 */
export interface MerkleLogStore {
  /** Appends canonical leaf bytes; resolves when durable (fsync) with the index and leaf hash. */
  append(leaf: Uint8Array): Promise<StoredLeaf>;
  /**
   * Exactly `append` of the UTF-8 of `text`, which must be well-formed (no lone surrogate:
   * TypeError otherwise), without the encoded copy in between: a string cannot change, so
   * the driver encodes it straight into its batch. Drivers without it get the bytes.
   */
  appendUtf8?(text: string): Promise<StoredLeaf>;
  /** Number of durable leaves. */
  size(): number;
  /** RFC 6962 root of the first `size` leaves (size 0 = SHA-256 of the empty string). */
  rootAt(size: number): Promise<Uint8Array>;
  /** Leaf hash of the leaf at `index` (< size()). */
  leafHash(index: number): Promise<Uint8Array>;
  /** The exact leaf bytes stored at `index` (< size()). */
  leaf(index: number): Promise<Uint8Array>;
  /** RFC 9162 §2.1.3 inclusion proof of `index` in the tree of `size` (index < size ≤ size()). */
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  /** RFC 9162 §2.1.4 consistency proof, 1 ≤ from ≤ to ≤ size(); empty when from = to. */
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
  /** Waits for in-flight appends, then closes the files. Later calls reject. */
  close(): Promise<void>;
  /**
   * The latest durable signed head, read fresh (drivers shared by several instances learn
   * other instances' appends here, and `size()` catches up). Drivers opened without a
   * HeadSigner leave it out.
   */
  latest?(): Promise<SignedHead>;
  /** Whether the store can append right now (for /readyz); absent means always. */
  ready?(): Promise<boolean>;
}

/**
 * Where the file log's fdatasyncs run: `pool` on the libuv thread pool (the event loop goes
 * on meanwhile), `inline` on the event loop itself, `auto` chooses (storage/flusher.ts).
 */
export type FlushMode = 'auto' | 'pool' | 'inline';

/** Options of the file-backed store. */
export interface FileLogStoreOptions {
  /** Largest accepted leaf in bytes (default 1 MiB); larger appends reject with RangeError. */
  readonly maxLeafBytes?: number;
  /**
   * From this many stored leaves on, open() checks the interior tree hashes on a worker
   * thread while it re-hashes the entries (default 50,000). Tests set 0 to force it.
   */
  readonly verifyInWorkerFromLeaves?: number;
  /**
   * Signs one checkpoint per committed batch, kept in `head.bin` and handed out with every
   * append (docs/protocol.md §9 receipts). At open the stored head must verify with it and the
   * files must still hold the tree it signed.
   */
  readonly signer?: HeadSigner;
  /**
   * Accept a log that has entries but no `head.bin` (written by a version without
   * receipts) and sign its current tree. Without it such a log is refused: a missing head
   * could hide cut entries.
   */
  readonly adoptUnsignedLog?: boolean;
  /**
   * Called (with what disagreed) when open() rebuilt offsets.bin and hashes.bin of a
   * signing log from entries.log: after a power loss, or when the indexes were altered.
   */
  readonly onIndexesRebuilt?: ((reason: string) => void) | undefined;
  /** Called once per committed batch, after it is durable (the gateway's batch metrics). */
  readonly observe?: ((o: FileBatchObservation) => void) | undefined;
  /**
   * Where the batches' fdatasyncs run (storage/flusher.ts): `auto` (default) inline on the
   * event loop when the process has one CPU and the disk flushes fast, on the libuv
   * thread pool otherwise; `pool` or `inline` always.
   */
  readonly flush?: FlushMode;
}

/** One committed batch of the file log. */
export interface FileBatchObservation {
  readonly leaves: number;
  /**
   * From issuing the records' fdatasync until the event loop saw the batch's last sync
   * (head.bin's, when signing) complete: the disk's sync latency, plus the wait for the
   * event loop when it was busy with other requests.
   */
  readonly commitSeconds: number;
}

/**
 * Raised by open when the stored files were altered or damaged anywhere but in an
 * unacknowledged tail. The message is one line naming the file and position.
 */
export class AuditCorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditCorruptionError';
  }
}
