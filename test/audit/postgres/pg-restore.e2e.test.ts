import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SEEN_HEAD_FILE } from '../../../src/audit/postgres/seen-head.js';
import { tempDir, testClient } from '../../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import {
  describeWithPostgres,
  freshDatabase,
  postgresAvailable,
  type TestDatabase,
  withAdmin,
} from '../../helpers/postgres.js';

/**
 * A restore of the database to an older state (docs/scaling.md), through real gateway
 * processes on the test's own database: the instance appends, the test copies the database
 * (CREATE DATABASE … TEMPLATE, no connection open), the instance appends more, the test
 * restores the copy (drop, re-create from it). The instance, which remembers the newest
 * signed head it saw in its data directory, then refuses to start with one line naming the
 * fix; a fresh instance (no memory) starts. After that fresh instance appends past the old
 * size, the database's history forked: the remembering instance still refuses (consistency).
 */
const pgUp = await postgresAvailable();

/** CREATE DATABASE … TEMPLATE needs the template without sessions: retry while one closes. */
async function copyDatabase(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((c) => c.query(`CREATE DATABASE "${to}" TEMPLATE "${from}"`));
      return;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describeWithPostgres(pgUp, 'a database restored to an older state', () => {
  const client = testClient('ci-main');
  let db: TestDatabase;
  let copy: string;
  let shared: string;
  let env: Record<string, string>;
  const started: GatewayProcess[] = [];
  const start = async (dir?: string) => {
    const g = await startGateway({
      client,
      env,
      startTimeoutMs: 30_000,
      ...(dir !== undefined && { dir }),
    });
    started.push(g);
    return g;
  };
  const build = async (g: GatewayProcess, i: number): Promise<number> => {
    const res = await g.post('/v1/events', { action: 'build', target: `acme/r-${i}`, steps: [] });
    expect(res.status).toBe(200);
    return ((await res.json()) as { audit: { index: number } }).audit.index;
  };

  /** Size of the instance's latest signed checkpoint (start-up appends entries of its own). */
  const headSize = async (g: GatewayProcess): Promise<number> => {
    const res = await g.get('/v1/audit/checkpoint');
    expect(res.status).toBe(200);
    return Number((await res.text()).split('\n')[1]);
  };

  beforeAll(async () => {
    db = await freshDatabase('restore');
    copy = `${db.name}_copy`;
    shared = tempDir('codex-pg-restore-');
    env = { DATABASE_URL: db.url, GATEWAY_LOG_KEY_FILE: path.join(shared, 'log.key') };
  });
  afterAll(async () => {
    await Promise.allSettled(started.map((g) => g.stop()));
    await db?.drop();
    if (copy !== undefined)
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`));
    for (const g of started) rmSync(g.dir, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  });

  it('the instance that saw the newer head refuses the restored database in one line; a fresh one starts', async () => {
    let a = await start();
    for (let i = 0; i < 3; i++) await build(a, i);
    const backupSize = await headSize(a);
    expect(await a.stop()).toBe(0);
    expect(existsSync(path.join(a.dir, 'data', SEEN_HEAD_FILE))).toBe(true);
    await copyDatabase(db.name, copy); // the "backup"

    a = await start(a.dir);
    for (let i = 3; i < 6; i++) await build(a, i);
    const seenSize = await headSize(a);
    expect(seenSize).toBeGreaterThan(backupSize);
    expect(await a.stop()).toBe(0);

    // The restore: the database is replaced by the older backup.
    await withAdmin(async (c) => {
      await c.query(`DROP DATABASE "${db.name}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${db.name}" TEMPLATE "${copy}"`);
    });

    const refused = (await start(a.dir).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(Error);
    expect(refused.message).toMatch(/gateway exited with 1/);
    const lines = refused.message.split('\n').filter((l) => l.includes('audit log refused'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `audit log refused: the database's log has ${backupSize} entries but this instance saw a signed checkpoint of ${seenSize} entries ` +
        `(the database was restored to an older state). What to do: restore the newest database backup (one holding at least ${seenSize} entries)`,
    );
    expect(lines[0]).toContain(SEEN_HEAD_FILE);

    // A fresh instance has no memory of the lost entries: it starts on the restored log and
    // continues after the backup's entries (receipts clients hold for the lost ones no
    // longer verify against it).
    const fresh = await start();
    expect(await build(fresh, 6)).toBeGreaterThanOrEqual(backupSize);
    let i = 7;
    while ((await headSize(fresh)) <= seenSize) await build(fresh, i++);
    const forkSize = await headSize(fresh);
    expect(await fresh.stop()).toBe(0);

    // The database is now bigger than the head instance A saw, but another history.
    const forked = (await start(a.dir).catch((e: unknown) => e)) as Error;
    expect(forked).toBeInstanceOf(Error);
    expect(forked.message).toMatch(
      new RegExp(
        `audit log refused: the database's log of ${forkSize} entries does not extend the checkpoint of ${seenSize} entries .* this instance saw: its history was rewritten.*What to do: restore the newest database backup`,
      ),
    );
  }, 180_000);
});
