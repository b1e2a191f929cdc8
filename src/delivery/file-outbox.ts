/**
 * The outbox in the data directory (memory mode: one gateway process owns the directory).
 *
 * Layout: `<dir>/outbox.log` (0600), a journal of framed operations (journal-format.ts):
 * `add` when deliveries are owed, `set` after each attempt, `retry` by an operator, and
 * `put` records that a compaction writes. `<dir>/writer.lock` keeps a second process out.
 *
 * Durability: an enqueue resolves only after its `add` records are written and the file
 * is fdatasynced (group commit: concurrent enqueues share one write and one fsync), so
 * an event is answered 200 only once its deliveries survive `kill -9`. The fsync runs
 * where the audit log's do (audit/storage/flusher.ts: inline with one CPU). While the
 * outbox is open, zeros are kept written past the last record (audit/storage/runway.ts),
 * so that fsync finds no new file size to commit; a clean close cuts them.
 *
 * Recovery (open): the journal is read from the start and every record's checksum is
 * checked. A bad stretch at the end no longer than one batch and the runway is the
 * unacknowledged tail of an interrupted batch, or the zeros a crash left: it is cut (and
 * the cut fsynced). A checksum-valid record that does
 * not parse or apply, or a longer bad stretch, means acknowledged data was damaged: open
 * refuses with one line, like the audit log, rather than silently dropping a delivery.
 *
 * Compaction: when the journal outgrows twice the live state (and 16 MiB), the live state
 * is written as `put` records to `outbox.log.tmp`, fsynced, renamed over the journal, and
 * the directory fsynced; a crash at any point leaves either the old or the new journal.
 * The live state's size is kept up to date as records change (`OutboxState.snapshotBytes`),
 * so deciding costs O(1): only a compaction that is worth it encodes the state. (Encoding
 * it to decide cost each batch O(backlog), then, checked geometrically, stalled the event
 * loop for hundreds of ms at each check while a target was down.)
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { lockLogDir } from '../audit/storage/dir-lock.js';
import type { FlushMode } from '../audit/log-store.js';
import { Flusher } from '../audit/storage/flusher.js';
import { fsyncDir, writeFully } from '../audit/storage/log-files.js';
import { Runway } from '../audit/storage/runway.js';
import { randomId } from '../crypto/index.js';
import type {
  ClaimedDelivery,
  DeliveryRecord,
  DeliveryState,
  NewDelivery,
  Settlement,
} from './delivery.js';
import {
  encodeRecord,
  MAX_BATCH_BYTES,
  MAX_TORN_TAIL_BYTES,
  scanJournal,
} from './journal-format.js';
import type { Outbox, OutboxStats, RetryOutcome } from './outbox.js';
import { OutboxState, type JournalOp } from './outbox-state.js';

export const JOURNAL_FILE = 'outbox.log';
const TMP_FILE = 'outbox.log.tmp';

export interface FileOutboxOptions {
  /** Claims not settled within this long are due again (default 30 000 ms). */
  readonly leaseMs?: number;
  /** Delivered records kept for listing (default 10 000); older ones are forgotten. */
  readonly keepDelivered?: number;
  /** Bodies of pending and dead deliveries held at most (default 256 MiB); beyond, enqueue refuses. */
  readonly maxBodyBytes?: number;
  /** Journal size from which compaction is considered (default 16 MiB). */
  readonly compactFromBytes?: number;
  /** Where the batches' fdatasyncs run, as for the audit log (default `auto`, audit/storage/flusher.ts). */
  readonly flush?: FlushMode;
}

/** Thrown when the journal holds damaged acknowledged data; the message is one line. */
export class OutboxCorruptionError extends Error {
  override readonly name = 'OutboxCorruptionError';
}

interface Pending {
  readonly ops: JournalOp[];
  /** The size of each op's record, as encoded in `bytes`. */
  readonly sizes: number[];
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Opens (creating if needed) the outbox in `dir`, replaying and repairing its journal. */
export function openFileOutbox(dir: string, options: FileOutboxOptions = {}): FileOutbox {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = lockLogDir(dir, 'delivery outbox');
  try {
    rmSync(join(dir, TMP_FILE), { force: true }); // a compaction that never reached its rename
    const path = join(dir, JOURNAL_FILE);
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      fsyncDir(dir);
      const state = new OutboxState(options.keepDelivered ?? 10_000);
      const end = recover(fd, state);
      return new FileOutbox(dir, fd, end, state, unlock, options);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  } catch (err) {
    unlock();
    throw err;
  }
}

function recover(fd: number, state: OutboxState): number {
  const size = fstatSync(fd).size;
  const buf = size === 0 ? Buffer.alloc(0) : readFileSync(fd);
  let scan;
  try {
    scan = scanJournal(buf);
    for (const [i, op] of scan.ops.entries()) {
      try {
        state.apply(op as JournalOp);
      } catch (err) {
        throw new Error(`record ${i}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    throw new OutboxCorruptionError(
      `delivery outbox corrupt: ${JOURNAL_FILE} ${(err as Error).message}`,
    );
  }
  if (scan.stopped !== null) {
    if (size - scan.end > MAX_TORN_TAIL_BYTES)
      throw new OutboxCorruptionError(
        `delivery outbox corrupt: ${JOURNAL_FILE} record at byte ${scan.end} is damaged (${scan.stopped}) and ${size - scan.end} bytes follow`,
      );
    // The unacknowledged tail of an interrupted batch: nobody was told it was stored.
    ftruncateSync(fd, scan.end);
    fsyncSync(fd);
  }
  return scan.end;
}

/** The file-backed Outbox (see the file comment). Build it with `openFileOutbox`. */
export class FileOutbox implements Outbox {
  readonly #dir: string;
  #fd: number;
  #end: number;
  readonly #state: OutboxState;
  readonly #unlock: () => void;
  readonly #leaseMs: number;
  readonly #maxBodyBytes: number;
  readonly #compactFrom: number;
  readonly #flusher: Flusher;
  readonly #runway: Runway;
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;
  /** Body bytes of enqueues accepted but not yet applied. */
  #queuedBytes = 0;

  constructor(
    dir: string,
    fd: number,
    end: number,
    state: OutboxState,
    unlock: () => void,
    options: FileOutboxOptions,
  ) {
    this.#dir = dir;
    this.#fd = fd;
    this.#end = end;
    this.#state = state;
    this.#unlock = unlock;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 256 * 1024 * 1024;
    this.#compactFrom = options.compactFromBytes ?? 16 * 1024 * 1024;
    this.#flusher = new Flusher(options.flush);
    this.#runway = new Runway(end);
  }

  /** Byte length of the journal (tests, metrics). */
  get journalBytes(): number {
    return this.#end;
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    const fresh = deliveries.filter((d) => !this.#state.has(d.id));
    if (fresh.length === 0) return;
    const bytes = fresh.reduce((n, d) => n + d.body.length, 0);
    // Bounded memory: a target that is down for long fills the outbox; past the bound new
    // events fail closed (503) instead of being answered without their deliveries.
    if (this.#state.bodyBytes + this.#queuedBytes + bytes > this.#maxBodyBytes)
      throw new Error('delivery outbox is full');
    this.#queuedBytes += bytes;
    try {
      await this.#write(fresh.map((d) => ({ op: 'add', d })));
    } finally {
      this.#queuedBytes -= bytes;
    }
  }

  async claim(
    nowMs: number,
    limits: ReadonlyMap<string, number>,
    max: number,
    untriedLimits?: ReadonlyMap<string, number>,
  ): Promise<ClaimedDelivery[]> {
    this.#check();
    return this.#state.claim(nowMs, limits, max, this.#leaseMs, randomId, untriedLimits);
  }

  async settle(claim: ClaimedDelivery, result: Settlement, nowMs: number): Promise<boolean> {
    if (!this.#state.holds(claim)) return false;
    await this.#write([OutboxState.settleOp(claim.id, result, nowMs)]);
    return true;
  }

  async list(state: DeliveryState, limit: number): Promise<DeliveryRecord[]> {
    return this.#state.list(state, limit);
  }

  async retry(id: string, nowMs: number): Promise<RetryOutcome> {
    const check = this.#state.retryCheck(id);
    if (check !== 'retried') return check;
    await this.#write([{ op: 'retry', id, at: nowMs }]);
    return 'retried';
  }

  async stats(): Promise<OutboxStats> {
    return this.#state.stats();
  }

  async ready(): Promise<boolean> {
    return this.#failure === null && !this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#running) await this.#running;
    try {
      if (this.#failure === null) this.#runway.trim(this.#fd, this.#end);
    } catch {
      // Best effort: open() cuts a runway it finds, as after a crash.
    }
    closeSync(this.#fd);
    this.#unlock();
  }

  #check(): void {
    if (this.#closed) throw new Error('delivery outbox is closed');
    if (this.#failure) throw this.#failure;
  }

  /** Queues `ops` for the next batch; resolves once they are durable and applied. */
  #write(ops: JournalOp[]): Promise<void> {
    this.#check();
    const records = ops.map(encodeRecord);
    const bytes = Buffer.concat(records);
    const sizes = records.map((r) => r.length);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, sizes, bytes, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  async #run(): Promise<void> {
    await Promise.resolve(); // let writes issued in the same tick join the first batch
    while (this.#queue.length > 0) {
      let n = 0;
      let size = 0;
      while (n < this.#queue.length && (n === 0 || size < MAX_BATCH_BYTES)) {
        size += (this.#queue[n] as Pending).bytes.length;
        n += 1;
      }
      const batch = this.#queue.splice(0, n);
      if (this.#failure) {
        for (const p of batch) p.reject(this.#failure);
        continue;
      }
      try {
        const buf =
          batch.length === 1
            ? (batch[0] as Pending).bytes
            : Buffer.concat(batch.map((p) => p.bytes));
        try {
          writeFully(this.#fd, buf, this.#end);
          this.#runway.extend(this.#fd, this.#end + buf.length, buf.length);
          await this.#flusher.sync(this.#fd);
        } catch (err) {
          try {
            this.#runway.cutBack(this.#fd, this.#end); // reported as failed: try not to keep them
          } catch {
            // open() re-checks whatever is left
          }
          throw err;
        }
        this.#end += buf.length;
        for (const p of batch) p.ops.forEach((op, i) => this.#state.apply(op, p.sizes[i]));
        for (const p of batch) p.resolve();
        this.#maybeCompact();
      } catch (err) {
        this.#failure = new Error('delivery outbox write failed; restart to recover', {
          cause: err,
        });
        for (const p of batch) p.reject(this.#failure);
      }
    }
    this.#running = null;
  }

  /** Rewrites the journal as the live state once it has grown well past it. */
  #maybeCompact(): void {
    if (this.#end < this.#compactFrom || this.#end < 2 * this.#state.snapshotBytes) return;
    const snapshot = Buffer.concat(this.#state.snapshot().map(encodeRecord));
    const tmp = join(this.#dir, TMP_FILE);
    const fd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      writeFully(fd, snapshot, 0);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    renameSync(tmp, join(this.#dir, JOURNAL_FILE));
    fsyncDir(this.#dir);
    closeSync(this.#fd);
    this.#fd = fd;
    this.#end = snapshot.length;
    this.#runway.reset(this.#end);
  }
}
