import pg from 'pg';

/** A pool of connections to the log's database (node-postgres). */
export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** Connection settings of one instance. */
export interface PoolSettings {
  readonly url: string;
  /** Server-side statement and lock-wait bound (ms). */
  readonly statementTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * Opens a pool whose every session bounds its statements and lock waits on the server,
 * ends transactions a vanished client left idle (so a dead instance cannot hold the
 * sequence row), and bounds each query on the client too (a silent network must fail, not
 * hang). Connection errors of idle or checked-out clients are absorbed here: they surface
 * as the rejection of the next query, never as an uncaught exception.
 */
export function openPool(s: PoolSettings): PgPool {
  const pool = new pg.Pool({
    connectionString: s.url,
    max: s.maxConnections,
    connectionTimeoutMillis: Math.max(1000, s.statementTimeoutMs),
    idleTimeoutMillis: 60_000,
    keepAlive: true,
    application_name: 'codex-gateway',
    statement_timeout: s.statementTimeoutMs,
    lock_timeout: s.statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(s.statementTimeoutMs, 10_000),
    query_timeout: s.statementTimeoutMs * 2 + 1000,
  });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Runs `fn` in one transaction on one connection. On any failure the transaction is rolled
 * back (best effort) and the connection discarded rather than reused.
 */
export async function withTransaction<T>(
  pool: PgPool,
  fn: (c: PgClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}
