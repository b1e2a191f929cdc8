import type pg from 'pg';
import { frontierRoot, integrateBatch, packFrontier, unpackFrontier } from '../batch-tree.js';
import { AuditCorruptionError, type HeadSigner, type StoredLeaf } from '../log-store.js';
import { leafHash } from '../merkle.js';
import { MAX_BATCH_BYTES, MAX_BATCH_LEAVES } from '../storage/batch-limits.js';
import { storedHashIndex } from '../storage/tlog-layout.js';
import { asBuffer, sameBytes } from './pg-bytes.js';
import { type PgPool, withTransaction } from './pg-pool.js';

/** One committed batch, for metrics. */
export interface BatchObservation {
  readonly leaves: number;
  /** From BEGIN to COMMIT acknowledged. */
  readonly commitSeconds: number;
  /** Waiting for the sequence row (`SELECT … FOR UPDATE`): other instances' batches. */
  readonly lockWaitSeconds: number;
}

/** Thrown (to the appends of one batch) when the database failed; the HTTP layer answers 503. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
}

interface Pending {
  readonly leaf: Uint8Array;
  readonly hash: Uint8Array;
  readonly resolve: (v: StoredLeaf) => void;
  readonly reject: (e: unknown) => void;
}

/** The head a batch read under the lock, and what it wrote. */
interface Attempt {
  first?: number;
  note?: string;
  integrated?: ReturnType<typeof integrateBatch>;
}

/** Tuning of the sequencer. */
export interface SequencerOptions {
  readonly signer: HeadSigner;
  /** How long an unknown commit outcome may take to resolve before the batch is refused. */
  readonly resolveTimeoutMs: number;
  readonly observe?: (o: BatchObservation) => void;
  /** Called with every committed size (the store's cached size follows it). */
  readonly onCommitted: (size: number, note: string, root: Uint8Array) => void;
}

/** Locks the sequence row; sent with BEGIN as one simple query (one round trip). */
const BEGIN_AND_LOCK =
  'BEGIN; SELECT size::text AS size, root, frontier FROM audit_head FOR UPDATE';
/** The batch's three writes as one statement (data-modifying CTEs): one round trip. */
const WRITE_BATCH = `
  WITH leaves AS (INSERT INTO audit_leaves (idx, leaf) SELECT * FROM unnest($1::bigint[], $2::bytea[])),
       hashes AS (INSERT INTO audit_hashes (pos, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[]))
  UPDATE audit_head SET size = $5, root = $6, frontier = $7, checkpoint = $8, updated_at = now()`;

/**
 * Group commit and sequencing on PostgreSQL, the way Tessera's SQL drivers do it: appends
 * queue while a batch is in flight; each batch is ONE transaction that locks the single
 * sequence row (`audit_head … FOR UPDATE`), takes the next contiguous indices, inserts the
 * leaves and every hash they complete, signs the checkpoint of the new tree and stores it
 * as the head, and commits. Appends resolve only after COMMIT is acknowledged.
 *
 * Why this is safe with many instances: the row lock serialises batches across instances,
 * each batch extends exactly the frontier it read under the lock (so a signed checkpoint
 * always extends every earlier one), and the primary keys on index and hash position make
 * a reused index impossible to commit. When the outcome of a transaction is unknown (the
 * connection died around COMMIT), the batch is resolved by reading back its rows, after
 * waiting for the sequence row (so a transaction still alive on the server has finished),
 * before any append of it resolves: an index is never answered unless it is committed.
 */
export class PgSequencer {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly pool: PgPool,
    private readonly opts: SequencerOptions,
  ) {}

  append(leaf: Uint8Array): Promise<StoredLeaf> {
    return new Promise<StoredLeaf>((resolve, reject) => {
      this.queue.push({ leaf, hash: leafHash(leaf), resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves once every queued append has settled. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    await Promise.resolve(); // appends of the same tick join the first batch
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        const results = await this.commit(batch);
        batch.forEach((p, i) => p.resolve(results[i] as StoredLeaf));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.running = null;
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_BATCH_LEAVES && bytes < MAX_BATCH_BYTES) {
      bytes += (this.queue[n] as Pending).leaf.length + 64;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  private async commit(batch: readonly Pending[]): Promise<StoredLeaf[]> {
    const attempt: Attempt = {};
    const started = performance.now();
    let lockWait = 0;
    try {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        const lockAt = performance.now();
        const results = (await client.query(BEGIN_AND_LOCK)) as unknown as pg.QueryResult[];
        lockWait = performance.now() - lockAt;
        const head = results[1]?.rows[0] as
          { size: string; root: Buffer; frontier: Buffer } | undefined;
        if (head === undefined)
          throw new AuditCorruptionError('audit log corrupt: audit_head row is missing');
        const first = Number(head.size);
        attempt.first = first;
        let frontier: Uint8Array[];
        try {
          frontier = unpackFrontier(head.frontier, first);
        } catch {
          throw new AuditCorruptionError(
            `audit log corrupt: audit_head frontier does not fit size ${first}`,
          );
        }
        // Never extend (and sign) a head whose stored root disagrees with its own frontier.
        if (!sameBytes(frontierRoot(frontier), head.root))
          throw new AuditCorruptionError(
            'audit log corrupt: audit_head root does not match its frontier',
          );
        const b = integrateBatch(
          first,
          frontier,
          batch.map((p) => p.hash),
        );
        attempt.integrated = b;
        const note = this.opts.signer.sign(b.size, b.root);
        attempt.note = note;
        await client.query(WRITE_BATCH, [
          batch.map((_, i) => first + i),
          batch.map((p) => asBuffer(p.leaf)),
          b.hashes.map((_, i) => b.firstHashPos + i),
          b.hashes.map(asBuffer),
          b.size,
          asBuffer(b.root),
          asBuffer(packFrontier(b.frontier)),
          note,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release(broken);
      }
    } catch (err) {
      if (err instanceof AuditCorruptionError) throw err;
      // The sequence row was never read: the transaction cannot have written anything.
      if (attempt.first === undefined || attempt.integrated === undefined)
        throw new AuditUnavailableError('audit database unavailable', { cause: err });
      if (!(await this.resolve(attempt.first, batch)))
        throw new AuditUnavailableError('audit database failed; the batch was not stored', {
          cause: err,
        });
    }
    const b = attempt.integrated as ReturnType<typeof integrateBatch>;
    const note = attempt.note as string;
    // A copy: the receipts below share b.root, and a caller may write over what it gets.
    this.opts.onCommitted(b.size, note, Uint8Array.from(b.root));
    try {
      this.opts.observe?.({
        leaves: batch.length,
        commitSeconds: (performance.now() - started) / 1000,
        lockWaitSeconds: lockWait / 1000,
      });
    } catch {
      // The batch is committed: a failing metrics observer must not report it as failed.
    }
    const checkpoint = { note, size: b.size, root: b.root };
    return batch.map((p, i) => ({
      index: b.first + i,
      leafHash: p.hash,
      checkpoint,
      proof: b.proof(b.first + i),
    }));
  }

  /**
   * Did the batch that read `first` under the lock commit? Waits for the sequence row (a
   * transaction of ours still alive on the server holds it until it ends), then compares
   * the stored leaf hashes at the batch's positions with the batch's own. Retries while the
   * database is unreachable, up to `resolveTimeoutMs`; undecided counts as not stored (the
   * appends are refused, never answered with an index).
   */
  private async resolve(first: number, batch: readonly Pending[]): Promise<boolean> {
    const deadline = Date.now() + this.opts.resolveTimeoutMs;
    const positions = batch.map((_, i) => storedHashIndex(0, first + i));
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        const stored = await withTransaction(this.pool, async (c) => {
          await c.query('SELECT size FROM audit_head FOR UPDATE');
          const r = await c.query<{ pos: string; hash: Buffer }>(
            'SELECT pos::text AS pos, hash FROM audit_hashes WHERE pos = ANY($1::bigint[])',
            [positions],
          );
          return r.rows;
        });
        const byPos = new Map(stored.map((r) => [Number(r.pos), r.hash]));
        const matches = positions.filter((pos, i) =>
          sameBytes(byPos.get(pos), (batch[i] as Pending).hash),
        ).length;
        if (matches === batch.length) return true;
        if (matches === 0) return false;
        throw new AuditCorruptionError(
          `audit log corrupt: batch at index ${first} is only partly stored`,
        );
      } catch (err) {
        if (err instanceof AuditCorruptionError) throw err;
        if (Date.now() + delay > deadline) return false;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
