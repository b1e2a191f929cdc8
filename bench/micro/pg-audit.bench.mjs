#!/usr/bin/env node
/**
 * Micro benchmark: the PostgreSQL audit log driver (issue 16, docs/protocol.md §14) on the
 * local server, each figure in a database this script creates and drops
 * (bench/pg-bench-db.mjs).
 *
 * 1. Durable appends/s through the driver (every append resolved only after its batch's
 *    COMMIT, with its signed checkpoint and proof), in rounds rotated in one run: 1 writer,
 *    64 concurrent writers on one instance, and 2 instances (two stores, each its own
 *    connection pool, 32 writers each, one log). p99 append latency of each (all appends
 *    of all rounds). Medians of BENCH_PG_ROUNDS rounds (default 3) of BENCH_ROUND_MS.
 * 2. Proof latency at BENCH_PG_LEAVES entries (default 1,000,000): the log is populated
 *    through the real driver (4096 appends in flight, so batches of up to 4096 leaves, each
 *    one transaction under the sequence row lock with its signed head), then the median µs
 *    of inclusion and consistency proofs read from the tables (the store's own methods: one
 *    query each), verified against the signed head; and how long a new instance takes to
 *    start on that log (`openMsAtLeaves`: migrations, identity, the signed head and the newest
 *    rows checked before it serves; older rows are swept in the background).
 * Prints human lines, then one JSON line (`{"bench":"pg-audit",...}`). Skips (prints a
 * `skipped` JSON line) when PostgreSQL does not answer. Not a test: asserts nothing.
 */
import { loadavg } from 'node:os';
import { createBenchDatabase, postgresReachable } from '../pg-bench-db.mjs';
import {
  ROUND_MS,
  appendLoop,
  benchIdentity,
  fromDist,
  leafBytes,
  median,
  percentile,
  seededPositions,
} from './audit-common.mjs';

if (!(await postgresReachable())) {
  console.log('pg-audit: PostgreSQL not reachable: skipped');
  console.log(JSON.stringify({ bench: 'pg-audit', skipped: 'PostgreSQL not reachable' }));
  process.exit(0);
}
const { openPgLogStore } = await fromDist('audit/postgres/pg-log-store.js', 'pg-audit.bench');
const { verifyInclusion, verifyConsistency } = await fromDist('audit/merkle.js', 'pg-audit.bench');
const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? 3);
const LEAVES = Number(process.env.BENCH_PG_LEAVES ?? 1_000_000);
const id = await benchIdentity('bench.example/pg-log');
const open = (url) =>
  openPgLogStore({ url, signer: id.signer, origin: id.origin, publicKey: id.key.publicKey });

const result = { bench: 'pg-audit', loadBefore: Number(loadavg()[0].toFixed(2)) };
const db = await createBenchDatabase('audit');
try {
  const a = await open(db.url);
  const b = await open(db.url); // a second instance: its own pool on the same log
  const variants = {
    '1Writer': { stores: [a], writers: 1 },
    '64Writers': { stores: [a], writers: 64 },
    '2Instances': { stores: [a, b], writers: 64 },
  };
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const lat = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const names = Object.keys(variants);
  for (let r = 0; r < ROUNDS; r++)
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      const v = variants[name];
      const out = await appendLoop(v.stores, v.writers, ROUND_MS, (x) => {
        if (x.checkpoint === undefined) throw new Error('no receipt');
      });
      rates[name].push(out.rate);
      lat[name].push(...out.latencies);
    }
  for (const name of names) {
    const m = median(rates[name]);
    const p99 = percentile(lat[name], 99);
    console.log(
      `${name}: ${m.toFixed(0)} durable appends/s (rounds ${rates[name].map((x) => x.toFixed(0)).join('/')}), ` +
        `p50 ${percentile(lat[name], 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    result[`appendsPerSec${name}`] = Math.round(m);
    result[`p99AppendMs${name}`] = Number(p99.toFixed(2));
  }
  // One sequence across both instances: the head covers every append of the run.
  const head = await a.latest();
  await b.close();

  // Populate to LEAVES through the driver.
  const t0 = performance.now();
  let next = head.size;
  await Promise.all(
    Array.from({ length: 4096 }, async () => {
      while (next < LEAVES) {
        next += 1;
        await a.append(leafBytes(next));
      }
    }),
  );
  const populateS = (performance.now() - t0) / 1000;
  const top = await a.latest();
  console.log(
    `populated ${top.size} entries through the driver in ${populateS.toFixed(1)} s ` +
      `(${((top.size - head.size) / populateS).toFixed(0)} appends/s with 4096 in flight)`,
  );
  const rand = seededPositions();
  const incl = [];
  const cons = [];
  for (let k = 0; k < 500; k++) {
    const i = rand(top.size);
    let t = performance.now();
    const proof = await a.inclusionProof(i, top.size);
    incl.push((performance.now() - t) * 1000);
    if (k < 50 && !verifyInclusion(await a.leafHash(i), i, top.size, proof, top.root))
      throw new Error('bad inclusion proof');
    const m = 1 + rand(top.size - 1);
    t = performance.now();
    const cp = await a.consistencyProof(m, top.size);
    cons.push((performance.now() - t) * 1000);
    if (k < 20 && !verifyConsistency(m, top.size, cp, await a.rootAt(m), top.root))
      throw new Error('bad consistency proof');
  }
  await a.close();
  // An instance starting on this log: migrations, identity, the signed head and the newest
  // rows checked before it serves (past 200,000 leaves the older rows are swept afterwards).
  const tOpen = performance.now();
  const late = await open(db.url);
  const openMs = performance.now() - tOpen;
  if ((await late.latest()).size !== top.size) throw new Error('reopened log has another size');
  await late.close();
  console.log(`an instance started on ${top.size} entries in ${openMs.toFixed(0)} ms`);
  console.log(
    `proofs at ${top.size}: inclusion ${median(incl).toFixed(0)} µs (p99 ${percentile(incl, 99).toFixed(0)}), ` +
      `consistency ${median(cons).toFixed(0)} µs (p99 ${percentile(cons, 99).toFixed(0)}) (median of 500, one query each)`,
  );
  Object.assign(result, {
    leaves: top.size,
    populateSeconds: Number(populateS.toFixed(1)),
    openMsAtLeaves: Math.round(openMs),
    inclusionProofMedianUs: Math.round(median(incl)),
    consistencyProofMedianUs: Math.round(median(cons)),
    inclusionProofP99Us: Math.round(percentile(incl, 99)),
    consistencyProofP99Us: Math.round(percentile(cons, 99)),
  });
} finally {
  await db.drop();
}
result.loadAfter = Number(loadavg()[0].toFixed(2));
console.log(JSON.stringify(result));
