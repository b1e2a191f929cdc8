/**
 * PostgreSQL-backed MerkleLogStore: one log shared by every instance of a deployment
 * (docs/protocol.md §14). Schema in migrations.ts; sequencing (group commit, one transaction per
 * batch under the sequence row lock, signed head stored with the batch) in pg-sequencer.ts;
 * start-up checks in pg-tree-check.ts.
 *
 * `size()` is this instance's view: it advances with its own commits and whenever
 * `latest()` reads the head (the audit service calls it before every read route), so the
 * read routes of any instance serve the whole log. Every other read is a point lookup by
 * primary key: a root or proof reads its O(log n) hashes in one query.
 */
import {
  AuditCorruptionError,
  type HeadSigner,
  type MerkleLogStore,
  type SignedHead,
  type StoredLeaf,
} from '../log-store.js';
import {
  type HashAt,
  type NodeCoord,
  consistencyProof,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofNodes,
  isTreeSize,
  leafHash,
  rootNodes,
  rootOf,
  EMPTY_ROOT,
} from '../merkle.js';
import { storedHashIndex } from '../storage/tlog-layout.js';
import { migrate } from './migrations.js';
import { asBuffer, sameBytes } from './pg-bytes.js';
import { type PgPool, openPool, withTransaction } from './pg-pool.js';
import { type BatchObservation, AuditUnavailableError, PgSequencer } from './pg-sequencer.js';
import { checkStoredLog, sweepStoredLog } from './pg-tree-check.js';

/** Options of the PostgreSQL store. */
export interface PgLogStoreOptions {
  /** postgres:// or postgresql:// URL (never logged: it may hold a password). */
  readonly url: string;
  readonly signer: HeadSigner;
  /** The log's identity; recorded when the log is created, compared on every later start. */
  readonly origin: string;
  readonly publicKey: Uint8Array;
  /** Per statement (and lock wait) on the server; default 5000 ms. */
  readonly statementTimeoutMs?: number;
  /** How long an unknown commit outcome may take to resolve; default 20000 ms. */
  readonly resolveTimeoutMs?: number;
  /** Logs up to this size are fully re-verified before open() returns; default 200,000. */
  readonly fullCheckUpTo?: number;
  /** Largest accepted leaf in bytes (default 1 MiB). */
  readonly maxLeafBytes?: number;
  /** Connections per instance (default 8). */
  readonly maxConnections?: number;
  readonly observe?: (o: BatchObservation) => void;
  /** Every newer signed head this instance commits or reads (seen-head.ts remembers it). */
  readonly onAdvance?: (head: SignedHead) => void;
  /** Damage found by the background sweep of a big log (the store then fails closed). */
  readonly onSweepFailure?: (err: Error) => void;
}

/** Raised at start when the database's log belongs to another origin or key. */
export class AuditIdentityError extends Error {
  override readonly name = 'AuditIdentityError';
}

/**
 * Connects, applies migrations, records or checks the log's identity, creates the empty
 * head on first use, and checks the stored log against its signed head (fully up to
 * `fullCheckUpTo` leaves; above that the head, frontier and newest batch now and the rest
 * in the background). Rejects with a one-line error, having closed its connections.
 */
export async function openPgLogStore(opts: PgLogStoreOptions): Promise<PgLogStore> {
  const pool = openPool({
    url: opts.url,
    statementTimeoutMs: opts.statementTimeoutMs ?? 5000,
    maxConnections: opts.maxConnections ?? 8,
  });
  try {
    await migrate(pool);
    await ensureIdentity(pool, opts);
    const head = await checkStoredLog(pool, opts.signer, opts.fullCheckUpTo ?? 200_000);
    const store = new PgLogStore(pool, opts, head.head);
    if (head.sweepFrom !== null) store.startSweep(head.sweepFrom, head.head.size);
    return store;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

async function ensureIdentity(pool: PgPool, opts: PgLogStoreOptions): Promise<void> {
  const rows = await withTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO audit_identity (origin, public_key) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING`,
      [opts.origin, asBuffer(opts.publicKey)],
    );
    const id = await c.query<{ origin: string; public_key: Buffer }>(
      'SELECT origin, public_key FROM audit_identity',
    );
    // The empty log's head, signed, so the very first batch has a head row to lock.
    await c.query(
      `INSERT INTO audit_head (size, root, frontier, checkpoint) VALUES (0, $1, $2, $3)
       ON CONFLICT (singleton) DO NOTHING`,
      [asBuffer(EMPTY_ROOT), Buffer.alloc(0), opts.signer.sign(0, EMPTY_ROOT)],
    );
    return id.rows;
  });
  const id = rows[0];
  if (id === undefined) throw new AuditIdentityError('audit log refused: audit_identity is empty');
  if (id.origin !== opts.origin)
    throw new AuditIdentityError(
      `audit log refused: the database's log has origin "${id.origin}", this instance GATEWAY_LOG_ORIGIN "${opts.origin}"`,
    );
  if (!sameBytes(id.public_key, opts.publicKey))
    throw new AuditIdentityError(
      `audit log refused: the database's log was created with another key (public key ${Buffer.from(id.public_key).toString('hex')}), not this instance's GATEWAY_LOG_KEY_FILE`,
    );
}

/** The PostgreSQL store; build it with openPgLogStore. */
export class PgLogStore implements MerkleLogStore {
  private known: SignedHead;
  private closed = false;
  private closing: Promise<void> | undefined;
  private failure: Error | null = null;
  private sweep: Promise<void> | null = null;
  private readonly sequencer: PgSequencer;
  private readonly maxLeafBytes: number;

  constructor(
    private readonly pool: PgPool,
    private readonly opts: PgLogStoreOptions,
    head: SignedHead,
  ) {
    this.known = head;
    this.maxLeafBytes = opts.maxLeafBytes ?? 1024 * 1024;
    this.sequencer = new PgSequencer(pool, {
      signer: opts.signer,
      resolveTimeoutMs: opts.resolveTimeoutMs ?? 20_000,
      ...(opts.observe !== undefined && { observe: opts.observe }),
      onCommitted: (size, note, root) => this.advance({ size, note, root }),
    });
  }

  append(leaf: Uint8Array): Promise<StoredLeaf> {
    if (this.closed) return Promise.reject(new Error('audit log store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (!(leaf instanceof Uint8Array))
      return Promise.reject(new TypeError('leaf must be a Uint8Array'));
    if (leaf.length > this.maxLeafBytes)
      return Promise.reject(new RangeError(`leaf is larger than ${this.maxLeafBytes} bytes`));
    return this.sequencer.append(Uint8Array.from(leaf));
  }

  size(): number {
    return this.known.size;
  }

  async latest(): Promise<SignedHead> {
    this.checkOpen();
    const rows = await this.pool.query<{ size: string; root: Buffer; checkpoint: string }>(
      'SELECT size::text AS size, root, checkpoint FROM audit_head',
    );
    const row = rows.rows[0];
    if (row === undefined)
      throw new AuditCorruptionError('audit log corrupt: audit_head row is missing');
    const size = Number(row.size);
    // Cheap and decisive: the head must carry our signature over exactly this size and root.
    let signed;
    try {
      signed = this.opts.signer.verify(row.checkpoint);
    } catch (err) {
      throw new AuditCorruptionError(
        `audit log corrupt: audit_head checkpoint does not verify (${(err as Error).message})`,
      );
    }
    if (signed.size !== size || !sameBytes(signed.root, row.root))
      throw new AuditCorruptionError(
        'audit log corrupt: audit_head checkpoint does not match its size and root',
      );
    if (size < this.known.size)
      throw new AuditCorruptionError(
        `audit log corrupt: the database's head (${size}) is behind a head this instance saw (${this.known.size})`,
      );
    this.advance({ note: row.checkpoint, size, root: new Uint8Array(row.root) });
    return this.known;
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.failure) return false;
    try {
      // What a batch needs first: fails on a dead connection, a sequence row held past the
      // statement timeout, and a read-only server (FOR UPDATE is refused there).
      await withTransaction(this.pool, (c) => c.query('SELECT size FROM audit_head FOR UPDATE'));
      return true;
    } catch {
      return false;
    }
  }

  async rootAt(size: number): Promise<Uint8Array> {
    this.checkSize(size);
    if (size === this.known.size) return this.known.root;
    const hashAt = await this.fetch(rootNodes(size));
    return rootOf(size, hashAt);
  }

  async leafHash(index: number): Promise<Uint8Array> {
    this.checkIndex(index, this.known.size);
    const hashAt = await this.fetch([{ level: 0, index }]);
    return hashAt(0, index);
  }

  async leaf(index: number): Promise<Uint8Array> {
    this.checkIndex(index, this.known.size);
    const rows = await this.pool.query<{ leaf: Buffer; hash: Buffer | null }>(
      `SELECT l.leaf, h.hash FROM audit_leaves l LEFT JOIN audit_hashes h ON h.pos = $1
        WHERE l.idx = $2`,
      [storedHashIndex(0, index), index],
    );
    const row = rows.rows[0];
    if (row === undefined)
      throw new AuditCorruptionError(`audit log corrupt: audit_leaves idx ${index} is missing`);
    // Never serve bytes that no longer match their stored hash (rows can be edited by SQL).
    if (!sameBytes(leafHash(row.leaf), row.hash ?? undefined))
      throw new AuditCorruptionError(
        `audit log corrupt: audit_leaves idx ${index} does not match its hash`,
      );
    return new Uint8Array(row.leaf);
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    this.checkSize(size);
    this.checkIndex(index, size);
    return inclusionProof(index, size, await this.fetch(inclusionProofNodes(index, size)));
  }

  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    this.checkSize(to);
    if (!isTreeSize(from) || from < 1 || from > to)
      throw new RangeError(`from must be in 1..${to}`);
    return consistencyProof(from, to, await this.fetch(consistencyProofNodes(from, to)));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.sequencer.drain();
      this.closed = true;
      await this.sweep?.catch(() => undefined);
      await this.pool.end();
    })();
    return this.closing;
  }

  /** Re-verifies leaves [from, to) in the background; damage makes the store fail closed. */
  startSweep(from: number, to: number): void {
    this.sweep = sweepStoredLog(this.pool, from, to, () => this.closed).catch((err: unknown) => {
      if (this.closed) return;
      const e = err instanceof Error ? err : new Error(String(err));
      if (e instanceof AuditCorruptionError) this.failure = e;
      this.opts.onSweepFailure?.(e);
    });
  }

  private advance(head: SignedHead): void {
    if (head.size <= this.known.size) return;
    this.known = head;
    this.opts.onAdvance?.(head);
  }

  /** Reads the stored hashes at `coords` in one query; a missing row is corruption. */
  private async fetch(coords: readonly NodeCoord[]): Promise<HashAt> {
    const positions = coords.map((c) => storedHashIndex(c.level, c.index));
    const rows =
      positions.length === 0
        ? []
        : (
            await this.pool.query<{ pos: string; hash: Buffer }>(
              'SELECT pos::text AS pos, hash FROM audit_hashes WHERE pos = ANY($1::bigint[])',
              [positions],
            )
          ).rows;
    const byPos = new Map(rows.map((r) => [Number(r.pos), new Uint8Array(r.hash)]));
    return (level, index) => {
      const pos = storedHashIndex(level, index);
      const h = byPos.get(pos);
      if (h === undefined)
        throw new AuditCorruptionError(`audit log corrupt: audit_hashes pos ${pos} is missing`);
      return h;
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('audit log store is closed');
  }

  private checkSize(size: number): void {
    this.checkOpen();
    if (!isTreeSize(size) || size > this.known.size)
      throw new RangeError(`size must be in 0..${this.known.size}`);
  }

  private checkIndex(index: number, size: number): void {
    this.checkOpen();
    if (!isTreeSize(index) || index >= size)
      throw new RangeError(`index must be in 0..${size - 1}`);
  }
}

export { AuditUnavailableError };
