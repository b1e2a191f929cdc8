import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { StoredLeaf } from '../../../src/audit/log-store.js';
import {
  AuditUnavailableError,
  type PgLogStore,
} from '../../../src/audit/postgres/pg-log-store.js';
import { toHex } from '../../../src/crypto/index.js';
import {
  CuttableProxy,
  describeWithPostgres,
  freshDatabase,
  postgresAvailable,
  type TestDatabase,
} from '../../helpers/postgres.js';
import {
  enc,
  expectConsistentWith,
  expectValidReceipt,
  logIdentity,
  openInstance,
} from './pg-support.js';

const available = await postgresAvailable();
const WRITER = fileURLToPath(new URL('./fixtures/pg-crash-writer.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(100);
  }
}

describeWithPostgres(available, 'PostgreSQL log: failures and recovery', () => {
  let db: TestDatabase;
  const open: PgLogStore[] = [];
  beforeEach(async () => {
    db = await freshDatabase('fail');
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((s) => s.close()));
    await db.drop();
  });
  const track = (s: PgLogStore): PgLogStore => (open.push(s), s);

  it('a statement timeout (sequence row held elsewhere) refuses appends and readiness, then recovers', async () => {
    const id = logIdentity();
    const store = track(await openInstance(db.url, id, { statementTimeoutMs: 400 }));
    await store.append(enc('{"before":1}'));
    const holder = await db.client().connect();
    await holder.query('BEGIN');
    await holder.query('SELECT size FROM audit_head FOR UPDATE');
    const started = Date.now();
    await expect(store.append(enc('{"slow":1}'))).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await store.ready()).toBe(false);
    await holder.query('ROLLBACK');
    holder.release();
    expect(await store.ready()).toBe(true);
    const r = await store.append(enc('{"after":1}'));
    expect(r.index).toBe(1); // the refused append took no index
    expectValidReceipt(id, enc('{"after":1}'), r);
  });

  it('the database going away refuses appends (never an index) and recovery needs no restart', async () => {
    const proxy = new CuttableProxy();
    await proxy.up();
    try {
      const id = logIdentity();
      const store = track(
        await openInstance(proxy.via(db.url), id, {
          statementTimeoutMs: 1000,
          resolveTimeoutMs: 1500,
        }),
      );
      await store.append(enc('{"n":0}'));
      await proxy.down();
      await expect(store.append(enc('{"down":1}'))).rejects.toBeInstanceOf(AuditUnavailableError);
      expect(await store.ready()).toBe(false);
      await proxy.up();
      await eventually(() => store.ready());
      const r = await store.append(enc('{"n":1}'));
      expect(r.index).toBe(1);
      expectValidReceipt(id, enc('{"n":1}'), r);
    } finally {
      await proxy.down();
    }
  });

  it('a database refusing writes (read-only) is not ready and refuses appends; it recovers when writable', async () => {
    const id = logIdentity();
    const store = track(await openInstance(db.url, id));
    await store.append(enc('{"n":0}'));
    const admin = db.client();
    const kick = () =>
      admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'codex-gateway'`,
        [db.name],
      );
    await admin.query(`ALTER DATABASE "${db.name}" SET default_transaction_read_only = on`);
    await kick();
    await expect(store.append(enc('{"ro":1}'))).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(await store.ready()).toBe(false);
    await admin.query(`ALTER DATABASE "${db.name}" RESET default_transaction_read_only`);
    await kick();
    await eventually(() => store.ready());
    expect((await store.append(enc('{"n":1}'))).index).toBe(1);
  });

  it('pg_terminate_backend during batches: every answered index is committed, none reused or skipped', async () => {
    const id = logIdentity();
    const store = track(await openInstance(db.url, id, { resolveTimeoutMs: 5000 }));
    const admin = db.client();
    let stop = false;
    let kills = 0;
    const killer = (async () => {
      while (!stop) {
        const rows = await admin.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE datname = $1 AND application_name = 'codex-gateway' AND state <> 'idle'`,
          [db.name],
        );
        kills += rows.rows.filter((r) => r.ok).length;
        await sleep(15);
      }
    })();
    const answered: { leaf: Uint8Array; got: StoredLeaf }[] = [];
    let refused = 0;
    const deadline = Date.now() + 2500;
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        for (let k = 0; Date.now() < deadline; k++) {
          const leaf = enc(`{"w":${w},"k":${k}}`);
          try {
            answered.push({ leaf, got: await store.append(leaf) });
          } catch (err) {
            expect(err).toBeInstanceOf(AuditUnavailableError);
            refused += 1;
          }
        }
      }),
    );
    stop = true;
    await killer;
    expect(kills).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThan(0);
    const indices = answered.map((a) => a.got.index);
    expect(new Set(indices).size).toBe(indices.length);
    for (const a of answered) {
      expectValidReceipt(id, a.leaf, a.got);
      expect(toHex(await store.leaf(a.got.index))).toBe(toHex(a.leaf));
    }
    await expectConsistentWith(
      store,
      id,
      answered.map((a) => a.got),
    );
    // A fresh instance re-verifies every row: no gap, no damage; appends continue.
    const again = track(await openInstance(db.url, id));
    const size = again.size();
    expect(size).toBeGreaterThanOrEqual(Math.max(...indices) + 1);
    expect((await again.append(enc('{"after":1}'))).index).toBe(size);
    console.log(
      `terminate storm: ${kills} backends killed, ${answered.length} answered, ${refused} refused`,
    );
    // An append started just before the deadline may wait out statement and resolve
    // timeouts (5 s each) on a loaded machine: the bound is generous, the checks are not.
  }, 90_000);

  it('kill -9 of two instances mid-batch loses no acknowledged entry and reuses no index', async () => {
    const id = logIdentity();
    // The children use the same identity: create the log first so both find it.
    const seed = toHex(id.key.secretKey);
    const first = await openInstance(db.url, id);
    await first.close();
    const acked = new Map<number, string>();
    // Each child is killed once it has PROVEN it appends (its Nth acknowledged index on
    // stdout), never on a timer: on a loaded machine a timer can fire before the first
    // batch, and the test would then prove nothing. Its 16 writers keep batches in flight,
    // so the kill lands mid-batch.
    const runChild = (tag: string, killAfterAcks: number) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', WRITER, db.url, seed, tag, '16'],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let rest = '';
        let stderr = '';
        let mine = 0;
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          const lines = (rest + d.toString()).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) {
            const [a, hash, leaf] = line.split(' ');
            if (a === 'open') continue;
            const index = Number(a);
            if (acked.has(index)) reject(new Error(`index ${index} answered twice`));
            acked.set(index, `${hash} ${leaf}`);
            mine += 1;
            if (mine === killAfterAcks) child.kill('SIGKILL');
          }
        });
        child.on('exit', (_code, signal) => {
          if (signal === 'SIGKILL' && mine >= killAfterAcks) resolve();
          else
            reject(
              new Error(
                `writer ${tag} exited (${signal ?? _code}) after ${mine} acks: ${stderr.split('\n').slice(0, 3).join(' | ')}`,
              ),
            );
        });
      });
    await Promise.all([runChild('a', 40), runChild('b', 70)]);
    expect(acked.size).toBeGreaterThan(0);
    const store = track(await openInstance(db.url, id));
    expect(store.size()).toBeGreaterThanOrEqual(Math.max(...acked.keys()) + 1);
    for (const [index, value] of acked) {
      const [hash, leaf] = value.split(' ');
      expect(toHex(await store.leafHash(index))).toBe(hash);
      expect(toHex(await store.leaf(index))).toBe(leaf);
    }
    const r = await store.append(enc('{"after":"crash"}'));
    expect(r.index).toBe(store.size() - 1);
    expectValidReceipt(id, enc('{"after":"crash"}'), r);
  }, 90_000);
});
