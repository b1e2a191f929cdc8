import { ftruncateSync } from 'node:fs';
import type { StoredLeaf } from '../log-store.js';
import { HASH_BYTES, EMPTY_ROOT, nodeHash } from '../merkle.js';
import { MAX_BATCH_BYTES, MAX_BATCH_LEAVES, OFFSET_BYTES, writeOffset } from './batch-limits.js';
import { type LogFiles, datasync, writeFully } from './log-files.js';
import { recordSize, writeRecord } from './record-format.js';
import type { RecoveredLog } from './recovery.js';
import { storedHashCount, trailingOnes } from './tlog-layout.js';

interface Pending {
  readonly leaf: Uint8Array;
  readonly resolve: (v: StoredLeaf) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Batches concurrent appends: while one batch is being written and fsynced, new appends
 * queue; the next batch takes them all (up to the batch limits). The durable size only
 * advances after a batch's fdatasyncs finished, so readers never see unsynced leaves.
 * After any I/O error the committer fails closed: every later append rejects until the
 * log is reopened (which re-verifies the files and cuts whatever was half written).
 */
export class GroupCommitter {
  size: number;
  entriesEnd: number;
  private stack: Uint8Array[];
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly files: LogFiles,
    state: RecoveredLog,
  ) {
    this.size = state.count;
    this.entriesEnd = state.entriesEnd;
    this.stack = [...state.stack];
  }

  append(leaf: Uint8Array): Promise<StoredLeaf> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<StoredLeaf>((resolve, reject) => {
      this.queue.push({ leaf, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Root of the durable tree, folded from the compact range (no I/O). */
  root(): Uint8Array {
    let h: Uint8Array | undefined;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const s = this.stack[i] as Uint8Array;
      h = h === undefined ? s : nodeHash(s, h);
    }
    return h ?? EMPTY_ROOT;
  }

  /** Resolves once every queued append has settled. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    // Let appends issued in the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
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
      bytes += recordSize((this.queue[n] as Pending).leaf.length);
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  /** Writes one batch (entries, then offsets, then hashes), fsyncs, then publishes it. */
  private async commit(batch: readonly Pending[]): Promise<StoredLeaf[]> {
    const first = this.size;
    const entryBytes = batch.reduce((sum, p) => sum + recordSize(p.leaf.length), 0);
    const entries = Buffer.allocUnsafe(entryBytes);
    const offsets = Buffer.allocUnsafe(batch.length * OFFSET_BYTES);
    const hashes: Uint8Array[] = [];
    const stack = [...this.stack];
    const results: StoredLeaf[] = [];
    let at = 0;
    batch.forEach((p, i) => {
      writeOffset(this.entriesEnd + at).copy(offsets, i * OFFSET_BYTES);
      let h = writeRecord(entries, at, p.leaf);
      at += recordSize(p.leaf.length);
      // A copy: the caller may modify what it gets; `h` also lives on in the compact range.
      results.push({ index: first + i, leafHash: Uint8Array.from(h) });
      hashes.push(h);
      for (let t = trailingOnes(first + i); t > 0; t--) {
        h = nodeHash(stack.pop() as Uint8Array, h);
        hashes.push(h);
      }
      stack.push(h);
    });
    try {
      writeFully(this.files.entries, entries, this.entriesEnd);
      writeFully(this.files.offsets, offsets, first * OFFSET_BYTES);
      writeFully(this.files.hashes, Buffer.concat(hashes), storedHashCount(first) * HASH_BYTES);
      await Promise.all([
        datasync(this.files.entries),
        datasync(this.files.offsets),
        datasync(this.files.hashes),
      ]);
    } catch (err) {
      // These appends are reported as failed, so try not to leave them for the next open()
      // to find complete and keep. Best effort: the files may be unwritable right now.
      try {
        ftruncateSync(this.files.entries, this.entriesEnd);
        ftruncateSync(this.files.offsets, first * OFFSET_BYTES);
        ftruncateSync(this.files.hashes, storedHashCount(first) * HASH_BYTES);
      } catch {
        // open() re-verifies whatever is left.
      }
      throw err;
    }
    this.size = first + batch.length;
    this.entriesEnd += entryBytes;
    this.stack = stack;
    return results;
  }
}
