import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { describe, it } from 'vitest';

/**
 * PostgreSQL for integration tests (the shared server on 127.0.0.1:5432, user postgres).
 *
 * Every test (or test file) gets its OWN database: `freshDatabase(label)` creates one with
 * a unique name and `drop()` removes it (WITH (FORCE), closing leftover connections). No
 * test ever touches another database, or the server's configuration.
 * `describeWithPostgres` skips with a notice when the server does not answer, unless
 * REQUIRE_POSTGRES=1 or CI=true, where the file fails instead.
 */

export const PG_ADMIN_URL =
  process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const POSTGRES_REQUIRED =
  process.env['REQUIRE_POSTGRES'] === '1' || process.env['CI'] === 'true';

/** A database that exists only for one test. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A small pool on the test database (closed by drop()). */
  client(): pg.Pool;
  drop(): Promise<void>;
}

function admin(): pg.Client {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  return c;
}

/** Runs `fn` on a fresh connection to the server's admin database, closed afterwards. */
export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = admin();
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Creates a uniquely named empty database. */
export async function freshDatabase(label: string): Promise<TestDatabase> {
  const name = `codex_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  await withAdmin((a) => a.query(`CREATE DATABASE "${name}"`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const clients: pg.Pool[] = [];
  return {
    name,
    url: url.toString(),
    client: () => {
      const c = new pg.Pool({ connectionString: url.toString(), max: 2 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    drop: async () => {
      await Promise.allSettled(clients.map((c) => c.end()));
      await withAdmin((b) => b.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

let probe: Promise<boolean> | undefined;

/** True when the shared server answers (probed once per file). */
export function postgresAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const a = admin();
    try {
      await a.connect();
      await a.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await a.end().catch(() => undefined);
    }
  })();
  return probe;
}

/**
 * `describe` that runs when PostgreSQL answers (or fails the file when it is required).
 * Call with `await postgresAvailable()` (test files may use top-level await).
 */
export function describeWithPostgres(available: boolean, name: string, body: () => void): void {
  describe(name, () => {
    if (available) return body();
    if (!POSTGRES_REQUIRED) {
      it.skip(`PostgreSQL not reachable at ${new URL(PG_ADMIN_URL).host}`, () => undefined);
      return;
    }
    it('PostgreSQL is required (REQUIRE_POSTGRES=1 or CI) but not reachable', () => {
      throw new Error(`PostgreSQL not reachable at ${new URL(PG_ADMIN_URL).host}`);
    });
  });
}

/**
 * A TCP proxy in front of PostgreSQL that a test can cut and restore: "the database is
 * down" without stopping the shared server. `down()` closes every connection and stops
 * listening; `up()` listens again on the same port.
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target = { host: '127.0.0.1', port: 5432 }) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** `url` rewritten to go through the proxy. */
  via(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }
}
