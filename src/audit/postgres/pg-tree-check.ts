import type { PgClient, PgPool } from './pg-pool.js';

/** A pool or one checked-out connection (inside a transaction). */
type Queryable = Pick<PgPool, 'query'> | PgClient;
import { frontierRoot, unpackFrontier } from '../batch-tree.js';
import { AuditCorruptionError, type HeadSigner, type SignedHead } from '../log-store.js';
import { leafHash, nodeHash, rangeNodes } from '../merkle.js';
import { storedHashCount, storedHashIndex, trailingOnes } from '../storage/tlog-layout.js';
import { sameBytes } from './pg-bytes.js';

const corrupt = (msg: string): AuditCorruptionError =>
  new AuditCorruptionError(`audit log corrupt: ${msg}`);

/** Leaves re-verified per query while sweeping. */
const PAGE = 8192;
/** The newest leaves re-verified at start even when the rest is swept in the background. */
const TAIL = 4096;

/** What start-up found: the verified head and where a background sweep must still look. */
export interface StartCheck {
  readonly head: SignedHead;
  /** Leaves [0, sweepTo) still to re-verify in the background, or null when all were. */
  readonly sweepFrom: number | null;
}

/**
 * The start-up check of the PostgreSQL log, incremental against its signed head:
 * 1. the head's checkpoint carries this log's signature over exactly its size and root;
 * 2. its frontier folds to that root and equals the stored hashes it summarises;
 * 3. no leaf or hash row lies beyond the head;
 * 4. every leaf and hash is recomputed — all of them for a log up to `fullUpTo` leaves,
 *    else the newest TAIL leaves now (the rest by `sweepStoredLog` in the background).
 * Any disagreement is a one-line AuditCorruptionError naming the row.
 */
export async function checkStoredLog(
  pool: PgPool,
  signer: HeadSigner,
  fullUpTo: number,
): Promise<StartCheck> {
  // Steps 1-3 read ONE snapshot: other instances keep committing batches meanwhile, and a
  // row they add after our head was read is not "beyond the head" of the log.
  const client = await pool.connect();
  let broken: Error | undefined;
  let head: SignedHead;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    head = await checkHead(client, signer);
    await client.query('COMMIT');
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
  // Rows below the head never change: the sweep may read them outside the snapshot.
  const size = head.size;
  if (size <= fullUpTo) {
    await sweepStoredLog(pool, 0, size, () => false);
    return { head, sweepFrom: null };
  }
  const tailFrom = Math.max(0, size - TAIL);
  await sweepStoredLog(pool, tailFrom, size, () => false);
  return { head, sweepFrom: 0 };
}

/** Steps 1-3 of checkStoredLog, on one snapshot. */
async function checkHead(sql: Queryable, signer: HeadSigner): Promise<SignedHead> {
  const rows = await sql.query<{
    size: string;
    root: Buffer;
    frontier: Buffer;
    checkpoint: string;
  }>('SELECT size::text AS size, root, frontier, checkpoint FROM audit_head');
  const row = rows.rows[0];
  if (row === undefined) throw corrupt('audit_head row is missing');
  const size = Number(row.size);
  let signed;
  try {
    signed = signer.verify(row.checkpoint);
  } catch (err) {
    throw corrupt(
      `audit_head checkpoint does not verify with this log's key (${(err as Error).message})`,
    );
  }
  if (signed.size !== size || !sameBytes(signed.root, row.root))
    throw corrupt(`audit_head size/root differ from its signed checkpoint (size ${signed.size})`);
  let frontier: Uint8Array[];
  try {
    frontier = unpackFrontier(row.frontier, size);
  } catch {
    throw corrupt(`audit_head frontier does not fit size ${size}`);
  }
  if (!sameBytes(frontierRoot(frontier), row.root))
    throw corrupt('audit_head frontier does not fold to its root');
  const coords = rangeNodes(0, size);
  const stored = await hashesAt(
    sql,
    coords.map((c) => storedHashIndex(c.level, c.index)),
  );
  coords.forEach((c, i) => {
    const pos = storedHashIndex(c.level, c.index);
    if (!sameBytes(stored.get(pos), frontier[i]))
      throw corrupt(
        `audit_hashes pos ${pos} (level ${c.level}, index ${c.index}) does not match the signed head`,
      );
  });
  const [beyond] = (
    await sql.query<{ leaves: string | null; hashes: string | null }>(
      `SELECT (SELECT max(idx) FROM audit_leaves)::text AS leaves,
              (SELECT max(pos) FROM audit_hashes)::text AS hashes`,
    )
  ).rows;
  if (beyond !== undefined && beyond.leaves !== null && Number(beyond.leaves) >= size)
    throw corrupt(`audit_leaves idx ${beyond.leaves} lies beyond the signed head (${size})`);
  if (
    beyond !== undefined &&
    beyond.hashes !== null &&
    Number(beyond.hashes) >= storedHashCount(size)
  )
    throw corrupt(`audit_hashes pos ${beyond.hashes} lies beyond the signed head (${size})`);
  return { size, root: new Uint8Array(row.root), note: row.checkpoint };
}

/**
 * Recomputes leaves [from, to) and every hash they complete from the leaf bytes, comparing
 * each with its stored row, page by page (bounded memory). Starting mid-log it takes the
 * compact range at `from` from the stored hashes (the full sweep from 0 checks those too).
 * Stops early (resolving) when `stop()` turns true.
 */
export async function sweepStoredLog(
  sql: PgPool,
  from: number,
  to: number,
  stop: () => boolean,
): Promise<void> {
  const start = rangeNodes(0, from);
  const startHashes = await hashesAt(
    sql,
    start.map((c) => storedHashIndex(c.level, c.index)),
  );
  const stack = start.map((c) => {
    const pos = storedHashIndex(c.level, c.index);
    const h = startHashes.get(pos);
    if (h === undefined) throw corrupt(`audit_hashes pos ${pos} is missing`);
    return h;
  });
  for (let a = from; a < to && !stop(); a += PAGE) {
    const b = Math.min(to, a + PAGE);
    const [leaves, hashes] = (
      await Promise.all([
        sql.query<{ idx: string; leaf: Buffer }>(
          `SELECT idx::text AS idx, leaf FROM audit_leaves
            WHERE idx >= $1 AND idx < $2 ORDER BY audit_leaves.idx`,
          [a, b],
        ),
        sql.query<{ pos: string; hash: Buffer }>(
          `SELECT pos::text AS pos, hash FROM audit_hashes
            WHERE pos >= $1 AND pos < $2 ORDER BY audit_hashes.pos`,
          [storedHashCount(a), storedHashCount(b)],
        ),
      ])
    ).map((r) => r.rows) as [{ idx: string; leaf: Buffer }[], { pos: string; hash: Buffer }[]];
    let h = 0;
    const next = (pos: number, what: string): Uint8Array => {
      const r = hashes[h];
      if (r === undefined || Number(r.pos) !== pos)
        throw corrupt(`audit_hashes pos ${pos} (${what}) is missing`);
      h += 1;
      return r.hash;
    };
    for (let n = a, l = 0; n < b; n++, l++) {
      const r = leaves[l];
      if (r === undefined || Number(r.idx) !== n) throw corrupt(`audit_leaves idx ${n} is missing`);
      const pos = storedHashIndex(0, n);
      let computed = leafHash(r.leaf);
      if (!sameBytes(computed, next(pos, `leaf ${n}`)))
        throw corrupt(`audit_leaves idx ${n} does not match its hash (audit_hashes pos ${pos})`);
      let level = 0;
      let index = n;
      for (let t = trailingOnes(n); t > 0; t--) {
        computed = nodeHash(stack.pop() as Uint8Array, computed);
        level += 1;
        index = Math.floor(index / 2);
        const p = storedHashIndex(level, index);
        if (!sameBytes(computed, next(p, `level ${level}, index ${index}`)))
          throw corrupt(
            `audit_hashes pos ${p} (level ${level}, index ${index}) does not match the hashes below it`,
          );
      }
      stack.push(computed);
    }
  }
}

async function hashesAt(
  sql: Queryable,
  positions: readonly number[],
): Promise<Map<number, Uint8Array>> {
  if (positions.length === 0) return new Map();
  const rows = await sql.query<{ pos: string; hash: Buffer }>(
    'SELECT pos::text AS pos, hash FROM audit_hashes WHERE pos = ANY($1::bigint[])',
    [positions],
  );
  return new Map(rows.rows.map((r) => [Number(r.pos), new Uint8Array(r.hash)]));
}
