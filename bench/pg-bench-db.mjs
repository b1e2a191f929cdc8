/**
 * A PostgreSQL database that exists only for one bench run: created with a unique name on
 * the server at BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, the
 * admin database) and dropped afterwards (WITH (FORCE)). Nothing else on the server is
 * touched. Used by bench/run.mjs (PostgreSQL mode) and bench/micro/pg-audit.bench.mjs.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(fn) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** True when the server answers. */
export async function postgresReachable() {
  try {
    await admin((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** Creates `codex_bench_<label>_<random>`; returns its URL and how to drop it. */
export async function createBenchDatabase(label) {
  const name = `codex_bench_${label}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}
