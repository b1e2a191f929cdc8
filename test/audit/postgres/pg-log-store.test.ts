import { afterEach, beforeEach, expect, it } from 'vitest';
import { rootFromLeafHashes, leafHash } from '../../../src/audit/merkle.js';
import {
  describeWithPostgres,
  freshDatabase,
  postgresAvailable,
  type TestDatabase,
} from '../../helpers/postgres.js';
import type { PgLogStore } from '../../../src/audit/postgres/pg-log-store.js';
import type { StoredLeaf } from '../../../src/audit/log-store.js';
import {
  enc,
  expectConsistentWith,
  expectValidReceipt,
  logIdentity,
  openInstance,
} from './pg-support.js';

const available = await postgresAvailable();

describeWithPostgres(available, 'PostgreSQL log store', () => {
  let db: TestDatabase;
  const open: PgLogStore[] = [];
  beforeEach(async () => {
    db = await freshDatabase('store');
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((s) => s.close()));
    await db.drop();
  });
  const track = (s: PgLogStore): PgLogStore => (open.push(s), s);

  it('appends contiguous indices with receipts, and serves roots and proofs from the tables', async () => {
    const id = logIdentity();
    const store = track(await openInstance(db.url, id));
    expect(store.size()).toBe(0);
    const leaves = Array.from({ length: 300 }, (_, i) => enc(`{"i":${i}}`));
    const got = await Promise.all(leaves.map((l) => store.append(l)));
    expect(got.map((g) => g.index)).toEqual(leaves.map((_, i) => i));
    got.forEach((g, i) => expectValidReceipt(id, leaves[i] as Uint8Array, g));
    expect(store.size()).toBe(300);
    const hashes = leaves.map(leafHash);
    for (const size of [1, 2, 3, 7, 8, 100, 255, 256, 257, 300])
      expect(Buffer.from(await store.rootAt(size))).toEqual(
        Buffer.from(rootFromLeafHashes(hashes.slice(0, size))),
      );
    expect(Buffer.from(await store.leaf(123))).toEqual(Buffer.from(leaves[123] as Uint8Array));
    expect((await store.inclusionProof(5, 300)).length).toBeGreaterThan(0);
    await expectConsistentWith(store, id, got);
    await expect(store.leaf(300)).rejects.toThrow(RangeError);
  });

  it('reports each committed batch, and keeps it when the observer throws', async () => {
    const id = logIdentity();
    const seen: number[] = [];
    const store = track(
      await openInstance(db.url, id, {
        observe: (o) => {
          seen.push(o.leaves);
          throw new Error('metrics broke');
        },
      }),
    );
    const got = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(enc(`{"i":${i}}`))),
    );
    expect(got.map((g) => g.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(seen.reduce((a, b) => a + b, 0)).toBe(50);
    expect(store.size()).toBe(50);
  });

  it('a caller writing over the hashes of its receipts changes neither the tree nor the head', async () => {
    const id = logIdentity();
    const store = track(await openInstance(db.url, id));
    const leaves = Array.from({ length: 20 }, (_, i) => enc(`{"i":${i}}`));
    for (const r of await Promise.all(leaves.map((l) => store.append(l)))) {
      r.leafHash.fill(0xee);
      r.checkpoint!.root.fill(0xee);
      for (const node of r.proof!) node.fill(0xee);
    }
    const head = await store.latest();
    expect(Buffer.from(head.root)).toEqual(Buffer.from(rootFromLeafHashes(leaves.map(leafHash))));
    const more = enc('{"more":1}');
    expectValidReceipt(id, more, await store.append(more));
  });

  it('three instances appending at once share one sequence: no index reused or skipped, every receipt consistent', async () => {
    const id = logIdentity();
    // Open all three at once: migrations and the first head must be created exactly once.
    const stores = (await Promise.all([1, 2, 3].map(() => openInstance(db.url, id)))).map(track);
    const receipts: { leaf: Uint8Array; got: StoredLeaf }[] = [];
    await Promise.all(
      stores.map(async (s, k) => {
        for (let round = 0; round < 8; round++) {
          const leaves = Array.from({ length: 25 }, (_, i) =>
            enc(`{"instance":${k},"r":${round},"i":${i}}`),
          );
          const got = await Promise.all(leaves.map((l) => s.append(l)));
          got.forEach((g, i) => receipts.push({ leaf: leaves[i] as Uint8Array, got: g }));
        }
      }),
    );
    const indices = receipts.map((r) => r.got.index).sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: 600 }, (_, i) => i));
    for (const r of receipts) expectValidReceipt(id, r.leaf, r.got);
    // Any instance serves the whole log.
    for (const s of stores) {
      expect((await s.latest()).size).toBe(600);
      const r = receipts[Math.floor(receipts.length / 2)] as { leaf: Uint8Array; got: StoredLeaf };
      expect(Buffer.from(await s.leaf(r.got.index))).toEqual(Buffer.from(r.leaf));
    }
    await expectConsistentWith(
      stores[0] as PgLogStore,
      id,
      receipts.map((r) => r.got),
    );
  });

  it('a reopened instance continues the same log', async () => {
    const id = logIdentity();
    const a = await openInstance(db.url, id);
    await Promise.all([1, 2, 3].map((i) => a.append(enc(`{"a":${i}}`))));
    await a.close();
    const b = track(await openInstance(db.url, id, { fullCheckUpTo: 0 }));
    expect(b.size()).toBe(3);
    const r = await b.append(enc('{"b":1}'));
    expect(r.index).toBe(3);
    expectValidReceipt(id, enc('{"b":1}'), r);
  });

  it('refuses to start with another key or another origin, in one line', async () => {
    const id = logIdentity();
    track(await openInstance(db.url, id));
    const other = logIdentity();
    await expect(openInstance(db.url, other)).rejects.toThrow(
      /^audit log refused: .*another key[^\n]*$/,
    );
    const renamed = { ...id, origin: 'elsewhere.example/log' };
    await expect(openInstance(db.url, renamed)).rejects.toThrow(
      /^audit log refused: .*origin[^\n]*$/,
    );
  });

  it('refuses at start a leaf or a hash changed by SQL, naming the row', async () => {
    const id = logIdentity();
    const a = await openInstance(db.url, id);
    await Promise.all(Array.from({ length: 40 }, (_, i) => a.append(enc(`{"t":${i}}`))));
    await a.close();
    const sql = db.client();
    await sql.query('UPDATE audit_leaves SET leaf = $1 WHERE idx = 17', [
      Buffer.from('{"t":"forged"}'),
    ]);
    await expect(openInstance(db.url, id)).rejects.toThrow(
      /^audit log corrupt: audit_leaves idx 17 does not match[^\n]*$/,
    );
    await sql.query('UPDATE audit_leaves SET leaf = $1 WHERE idx = 17', [Buffer.from('{"t":17}')]);
    await (await openInstance(db.url, id)).close();
    // An interior hash (level 1, index 4 sits at dense position 13).
    await sql.query('UPDATE audit_hashes SET hash = $1 WHERE pos = 13', [Buffer.alloc(32, 7)]);
    await expect(openInstance(db.url, id)).rejects.toThrow(/audit_hashes pos 13 .*does not match/);
  });

  it('refuses a head whose checkpoint was not signed by the log key', async () => {
    const id = logIdentity();
    const a = await openInstance(db.url, id);
    await a.append(enc('{"x":1}'));
    await a.close();
    const sql = db.client();
    await sql.query('UPDATE audit_head SET size = 0');
    await expect(openInstance(db.url, id)).rejects.toThrow(
      /audit_head size\/root differ from its signed checkpoint/,
    );
  });
});
