import { ftruncateSync } from 'node:fs';
import { frontierRoot, integrateBatch } from '../batch-tree.js';
import type { FileBatchObservation, HeadSigner, SignedHead, StoredLeaf } from '../log-store.js';
import { BatchHex } from '../batch-hex.js';
import { HASH_BYTES, hashFromHex } from '../merkle.js';
import { MAX_BATCH_BYTES, MAX_BATCH_LEAVES, OFFSET_BYTES, writeOffsetAt } from './batch-limits.js';
import { type LogFiles, writeFully } from './log-files.js';
import type { Flusher } from './flusher.js';
import { recordSize, writeRecord } from './record-format.js';
import type { RecoveredLog } from './recovery.js';
import type { HeadFile } from './head-file.js';
import { Runway } from './runway.js';
import { storedHashCount } from './tlog-layout.js';

/** How a committer signs: the signer, the head file, and the durable head at open. */
export interface CommitHeads {
  readonly signer: HeadSigner;
  readonly file: HeadFile;
  readonly head: SignedHead;
}

interface Pending {
  /** The leaf bytes, or a well-formed string whose UTF-8 they are (`bytes` long). */
  readonly leaf: Uint8Array | string;
  readonly bytes: number;
  readonly resolve: (v: StoredLeaf) => void;
  readonly reject: (e: unknown) => void;
}

/** Resolves in the event loop's next check phase (after one more poll for I/O). */
function nextCheckPhase(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Batches concurrent appends: while one batch is being written and fsynced, new appends
 * queue; the next batch takes them all (up to the batch limits). The durable size only
 * advances after a batch's fdatasyncs finished, so readers never see unsynced leaves.
 * After any I/O error the committer fails closed: every later append rejects until the
 * log is reopened (which re-verifies the files and cuts whatever was half written).
 *
 * The runway (runway.ts; measured in docs/audit.md): zeros kept written past the last
 * record, so a batch's fdatasync finds no new file size to commit. A crash leaves them
 * behind the last record, where open() cuts them with any torn batch.
 *
 * With `heads` (docs/protocol.md §9 receipts) each batch is signed ONCE: the checkpoint of the tree
 * after the batch is written to head.bin once the batch's records are durable, and
 * fdatasynced; every append of the batch then resolves with that checkpoint and its
 * inclusion proof in it (computed from memory by integrateBatch, no read).
 */
export class GroupCommitter {
  size: number;
  entriesEnd: number;
  private stack: Uint8Array[];
  private readonly runway: Runway;
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private failure: Error | null = null;
  /** The latest durable signed head (when signing). */
  head: SignedHead | undefined;

  constructor(
    private readonly files: LogFiles,
    state: RecoveredLog,
    private readonly flusher: Flusher,
    private readonly heads?: CommitHeads,
    private readonly observe?: (o: FileBatchObservation) => void,
  ) {
    this.size = state.count;
    this.entriesEnd = state.entriesEnd;
    this.runway = new Runway(state.entriesEnd);
    this.stack = [...state.stack];
    this.head = heads?.head;
  }

  /** The flusher's fdatasync, for head.bin. */
  private readonly flush = (fd: number): Promise<void> => this.flusher.sync(fd);

  /**
   * Queues `leaf` (bytes the committer now owns, or a well-formed string whose UTF-8 is the
   * leaf; `bytes` is its length in bytes) and resolves once it is durable.
   */
  append(leaf: Uint8Array | string, bytes: number): Promise<StoredLeaf> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<StoredLeaf>((resolve, reject) => {
      this.queue.push({ leaf, bytes, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Root of the durable tree, folded from the compact range (no I/O). */
  root(): Uint8Array {
    return frontierRoot(this.stack);
  }

  /** Resolves once every queued append has settled. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Cuts the runway (after `drain`, before the files close), so a log closed cleanly ends
   * with its last record. A crash leaves it: open() cuts it as an unacknowledged tail.
   */
  trimRunway(): void {
    this.runway.trim(this.files.entries, this.entriesEnd);
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      // Take the batch one event-loop turn later than the first check phase: every request
      // read in this turn's poll phase has queued its append by its check phase, and the
      // next poll phase adds those that arrived while these were being handled, which
      // would otherwise each wait for a whole commit of their own. Measured A/B
      // (bench/README.md, issue 19): lower p50 and p99 at half load, same CPU.
      await nextCheckPhase();
      await nextCheckPhase();
      const batch = this.takeBatch();
      if (this.failure) {
        for (const p of batch) p.reject(this.failure);
        continue;
      }
      try {
        const results = await this.commit(batch);
        batch.forEach((p, i) => p.resolve(results[i] as StoredLeaf));
      } catch (err) {
        this.failure = new Error('audit log write failed; reopen the log to recover', {
          cause: err,
        });
        for (const p of batch) p.reject(this.failure);
      }
    }
    this.running = null;
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_BATCH_LEAVES && bytes < MAX_BATCH_BYTES) {
      bytes += recordSize((this.queue[n] as Pending).bytes);
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  /**
   * Writes one batch (entries, then offsets, then hashes, then the signed head), fsyncs,
   * then publishes it.
   */
  private async commit(batch: readonly Pending[]): Promise<StoredLeaf[]> {
    const { heads } = this;
    const first = this.size;
    const entryBytes = batch.reduce((sum, p) => sum + recordSize(p.bytes), 0);
    const entries = Buffer.allocUnsafe(entryBytes);
    const offsets = Buffer.allocUnsafe(batch.length * OFFSET_BYTES);
    // Hex of this batch's hashes, for its receipts only: used before the first await below.
    const hex = heads === undefined ? undefined : new BatchHex();
    const leafHashes: Uint8Array[] = [];
    const leafHexes: string[] = [];
    let at = 0;
    batch.forEach((p, i) => {
      writeOffsetAt(offsets, i * OFFSET_BYTES, this.entriesEnd + at);
      const leafHex = writeRecord(entries, at, p.leaf, p.bytes);
      const h = hashFromHex(leafHex);
      hex?.put(h, leafHex);
      leafHashes.push(h);
      leafHexes.push(leafHex);
      at += recordSize(p.bytes);
    });
    const b = integrateBatch(first, this.stack, leafHashes, hex);
    let head: SignedHead | undefined;
    let proofs: Uint8Array[][] | undefined;
    let proofHexes: string[][] | undefined;
    let undoHead: (() => void) | undefined;
    const syncs: Promise<void>[] = [];
    let syncStart = 0;
    try {
      writeFully(this.files.entries, entries, this.entriesEnd);
      this.runway.extend(this.files.entries, this.entriesEnd + entryBytes, entryBytes);
      writeFully(this.files.offsets, offsets, first * OFFSET_BYTES);
      writeFully(this.files.hashes, Buffer.concat(b.hashes), b.firstHashPos * HASH_BYTES);
      // The records' fdatasync starts first; on the pool, the checkpoint is signed
      // (node:crypto, once per batch) while it runs. Measured A/B (receipt.bench.mjs, short
      // alternating rounds): signing before issuing the fsyncs delays them by the signature
      // and cost ~10-14% of appends/s; this order costs 0-4%. An inline flush (flusher.ts,
      // one CPU) has returned before the signing starts.
      syncStart = performance.now();
      syncs.push(this.flusher.sync(this.files.entries));
      // A signing log's durable pair is entries.log and head.bin: the indexes are derived
      // from entries.log, and open() rebuilds them when a power loss left them behind
      // (file-log-store.ts). Each fdatasync costs ~100 µs of CPU on the committing core.
      if (heads === undefined) {
        syncs.push(this.flusher.sync(this.files.offsets), this.flusher.sync(this.files.hashes));
      } else {
        head = { note: heads.signer.sign(b.size, b.root), size: b.size, root: b.root };
        // The receipts' proofs are computed from memory while a pool fsync runs.
        proofs = leafHashes.map((_, i) => b.proof(first + i));
        // Their hex, each distinct node encoded once for the whole batch (batch-hex.ts).
        proofHexes = proofs.map((proof) => proof.map((n) => (hex as BatchHex).of(n)));
      }
      await Promise.all(syncs);
      if (heads !== undefined && head !== undefined) {
        // Written once the records it covers are durable, so even after a power loss a head
        // on disk never signs records the disk lost. Synced before any append resolves.
        const written = heads.file.write(head.note, this.flush);
        undoHead = written.undo;
        const headSynced = written.sync();
        syncs.push(headSynced);
        await headSynced;
      }
    } catch (err) {
      // No fsync may still be running when the files are cut back.
      await Promise.allSettled(syncs);
      // These appends are reported as failed, so try not to leave them for the next open()
      // to find complete and keep. Best effort: the files may be unwritable right now.
      try {
        undoHead?.();
        this.runway.cutBack(this.files.entries, this.entriesEnd);
        ftruncateSync(this.files.offsets, first * OFFSET_BYTES);
        ftruncateSync(this.files.hashes, storedHashCount(first) * HASH_BYTES);
      } catch {
        // open() re-verifies whatever is left.
      }
      throw err;
    }
    const commitSeconds = (performance.now() - syncStart) / 1000;
    this.size = b.size;
    this.entriesEnd += entryBytes;
    // Own copies (at most 64, once per batch): the receipts below hand out proof nodes that
    // are also frontier nodes, and what a caller does to them must not change the tree.
    this.stack = b.frontier.map((h) => Uint8Array.from(h));
    if (head !== undefined) this.head = { ...head, root: Uint8Array.from(head.root) };
    try {
      this.observe?.({ leaves: batch.length, commitSeconds });
    } catch {
      // The batch is durable: a failing metrics observer must not report it as failed.
    }
    // Copies: the caller may modify what it gets; the hashes also live on in the frontier.
    // No `...(head && {…})` per entry: an object spread after other properties is slow in V8.
    return leafHashes.map((h, i) =>
      head === undefined
        ? { index: first + i, leafHash: new Uint8Array(h) }
        : {
            index: first + i,
            leafHash: new Uint8Array(h),
            checkpoint: head,
            proof: proofs?.[i] ?? [],
            hex: { leafHash: leafHexes[i] as string, proof: proofHexes?.[i] ?? [] },
          },
    );
  }
}
