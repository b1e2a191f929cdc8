import { type PgPool, withTransaction } from './pg-pool.js';

/**
 * The audit log's schema, as numbered migrations the gateway applies itself at start.
 *
 * - `audit_identity`: one row, written when the log is created: the origin and Ed25519
 *   public key every instance must present (docs/protocol.md §14).
 * - `audit_head`: one row, the sequence row every batch locks `FOR UPDATE`: tree size,
 *   root, compact range (frontier, ≤ 64 hashes packed) and the signed checkpoint note of
 *   that tree — the log's latest signed head, written in the same transaction as the
 *   leaves it covers.
 * - `audit_leaves`: the exact leaf bytes by index.
 * - `audit_hashes`: every leaf and perfect-subtree hash by its position in the Go
 *   sumdb/tlog dense layout (the same order as the file driver's hashes.bin), so a root
 *   or proof is one indexed read of O(log n) rows.
 *
 * Migrations are append-only: never edit a released one, add the next number.
 */
export const MIGRATIONS: readonly {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}[] = [
  {
    version: 1,
    name: 'audit log tables',
    sql: `
CREATE TABLE audit_identity (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  origin text NOT NULL,
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  frontier bytea NOT NULL,
  checkpoint text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_leaves (
  idx bigint PRIMARY KEY CHECK (idx >= 0),
  leaf bytea NOT NULL
);
CREATE TABLE audit_hashes (
  pos bigint PRIMARY KEY CHECK (pos >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32)
);`,
  },
];

/** Advisory lock key that serialises migrations of concurrently starting instances. */
const MIGRATION_LOCK = 0x636f6465782d6731n; // "codex-g1"

/**
 * Applies every migration the database lacks, in one transaction holding a transaction
 * advisory lock: a second instance starting at the same moment waits, then finds them
 * applied. Idempotent. Refuses a database migrated by a newer gateway (its schema may mean
 * things this version does not know).
 */
export async function migrate(pool: PgPool): Promise<number> {
  return withTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK.toString()]);
    await c.query(`CREATE TABLE IF NOT EXISTS codex_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await c.query<{ version: number }>('SELECT version FROM codex_schema_migrations');
    const applied = new Set(rows.rows.map((r) => r.version));
    const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    const unknown = [...applied].filter((v) => v > newest);
    if (unknown.length > 0)
      throw new Error(
        `database schema version ${Math.max(...unknown)} is newer than this gateway (${newest}); upgrade the gateway`,
      );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO codex_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    return newest;
  });
}
