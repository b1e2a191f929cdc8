import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { until } from '../../helpers/until.js';
import {
  CuttableProxy,
  describeWithPostgres,
  freshDatabase,
  postgresAvailable,
  type TestDatabase,
} from '../../helpers/postgres.js';

/**
 * Fail closed and recover (issue 16 point 5) through a RUNNING gateway process: the
 * gateway reaches its own fresh database through a TCP proxy (CuttableProxy) that the test
 * cuts and restores; the shared PostgreSQL server is never stopped. While the database is
 * away /readyz is 503 and an event (which must append) is 503 problem+json; once it is back
 * both recover without a restart, and the log's indices continue with no gap and no reuse.
 */
const pgUp = await postgresAvailable();

describeWithPostgres(pgUp, 'a running gateway while PostgreSQL goes away and comes back', () => {
  let db: TestDatabase;
  let dir: string;
  let proxy: CuttableProxy;
  let g: GatewayProcess;

  beforeAll(async () => {
    db = await freshDatabase('outage');
    dir = tempDir('codex-pg-outage-');
    proxy = new CuttableProxy();
    await proxy.up();
    g = await startGateway({
      env: {
        DATABASE_URL: proxy.via(db.url),
        GATEWAY_LOG_KEY_FILE: path.join(dir, 'log.key'),
      },
      startTimeoutMs: 30_000,
    });
  }, 60_000);
  afterAll(async () => {
    await g?.stop();
    await proxy?.down();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const readyz = async (): Promise<number> => (await fetch(`${g.url}/readyz`)).status;
  const build = (i: number) =>
    g.post('/v1/events', { action: 'build', target: `acme/outage-${i}`, steps: [] });

  it('/readyz 503 and appends 503 problem+json while it is away; both recover by themselves', async () => {
    const before = await build(0);
    expect(before.status).toBe(200);
    const first = ((await before.json()) as { audit: { index: number } }).audit.index;
    expect(await readyz()).toBe(200);

    await proxy.down();
    expect(await until(readyz, (s) => s === 503, 30_000)).toBe(503);
    const ready = (await (await fetch(`${g.url}/readyz`)).json()) as { failing: string[] };
    expect(ready.failing).toContain('audit');
    for (let i = 1; i <= 3; i++) {
      const refused = await build(i);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await refused.json()) as { status: number; audit?: unknown };
      expect(problem.status).toBe(503);
      expect(problem.audit).toBeUndefined();
    }

    await proxy.up();
    expect(await until(readyz, (s) => s === 200, 30_000)).toBe(200);
    const indices: number[] = [];
    for (let i = 4; i < 7; i++) {
      const res = await until(
        () => build(i),
        (r) => r.status !== 503,
        30_000,
      );
      expect(res.status).toBe(200);
      indices.push(((await res.json()) as { audit: { index: number } }).audit.index);
    }
    // No index skipped or reused: the refused appends took none.
    expect(indices).toEqual([first + 1, first + 2, first + 3]);

    // The database agrees: contiguous rows 0..n-1 and a head over exactly them.
    const pool = db.client();
    const rows = await pool.query<{ n: string; lo: string; hi: string; size: string }>(
      `SELECT count(*)::text AS n, min(idx)::text AS lo, max(idx)::text AS hi,
              (SELECT size::text FROM audit_head) AS size FROM audit_leaves`,
    );
    const r = rows.rows[0]!;
    expect(Number(r.lo)).toBe(0);
    expect(Number(r.hi)).toBe(Number(r.n) - 1);
    expect(Number(r.size)).toBe(Number(r.n));
    expect(Number(r.hi)).toBe(first + 3);
    expect(g.child.exitCode).toBeNull();
  }, 120_000);
});
