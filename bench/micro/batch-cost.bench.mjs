#!/usr/bin/env node
/**
 * Micro benchmark, what one group-commit batch of the signing file log costs in CPU, on
 * the one core the load phase gives the gateway: batches of 1, 4 and 32 entries, each
 * awaited before the next (so every batch holds exactly that many), on a log opened as the
 * gateway opens it (receipts: one Ed25519 checkpoint per batch, entries.log and head.bin
 * fdatasynced). Per batch: the main thread's user and system time (Linux's
 * /proc/thread-self/stat), all threads' time (process.cpuUsage: adds the libuv pool threads
 * that run the fdatasyncs) and the wall time. Three rounds of BENCH_BATCH_ROUND_MS (default
 * 1000) per size, sizes alternated, medians.
 *
 * Why: at the load bench's 50% rate a batch carries about three entries, so this cost is
 * shared by three requests instead of the ~20 of the maximum, and the gateway's one core is
 * nearly busy at half its maximum rate (bench/README.md, "Where it stands").
 *
 * Re-runs itself under `taskset -c <last core>` when taskset exists and there are two or
 * more cores (as run.mjs pins the servers). Prints human lines, then one JSON line
 * (`{"bench":"batch-cost",...}`) for the bench runner. Not a test: asserts nothing.
 *
 * Usage: node bench/micro/batch-cost.bench.mjs
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds } from '../proc-cpu.mjs';
import { benchIdentity, fromDist, leafBytes, median, pinToLastCore } from './audit-common.mjs';

const pinnedToCore = pinToLastCore(import.meta.url, 'BENCH_BATCH_PINNED');

const THREAD_STAT = '/proc/thread-self/stat';
if (!existsSync(THREAD_STAT)) {
  console.log(JSON.stringify({ bench: 'batch-cost', skipped: `${THREAD_STAT} not available` }));
  process.exit(0);
}

const ROUND_MS = Number(process.env.BENCH_BATCH_ROUND_MS ?? 1000);
const SIZES = [1, 4, 32];
const { openFileLogStore } = await fromDist('audit/storage/file-log-store.js', 'batch-cost');
const identity = await benchIdentity();
const dir = mkdtempSync(path.join(os.tmpdir(), 'batch-cost-bench-'));
const samples = new Map(SIZES.map((n) => [n, []]));
let k = 0;
try {
  const store = await openFileLogStore(dir, { signer: identity.signer });
  // Warm-up: the first batches run unoptimised code.
  for (let i = 0; i < 300; i++) await store.append(leafBytes(k++));
  for (let round = 0; round < 3; round++)
    for (const n of SIZES) {
      const thread0 = cpuSeconds(THREAD_STAT);
      const all0 = process.cpuUsage();
      const t0 = performance.now();
      let batches = 0;
      while (performance.now() - t0 < ROUND_MS) {
        await Promise.all(Array.from({ length: n }, () => store.append(leafBytes(k++))));
        batches += 1;
      }
      const wallUs = (performance.now() - t0) * 1000;
      const thread1 = cpuSeconds(THREAD_STAT);
      const all = process.cpuUsage(all0);
      samples.get(n).push({
        mainUser: ((thread1.user - thread0.user) * 1e6) / batches,
        mainSystem: ((thread1.system - thread0.system) * 1e6) / batches,
        all: (all.user + all.system) / batches,
        wall: wallUs / batches,
      });
    }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const us = (n, key) => Math.round(median(samples.get(n).map((s) => s[key])));
const result = {
  bench: 'batch-cost',
  pinnedToCore,
  roundMs: ROUND_MS,
};
for (const n of SIZES) {
  const row = {
    mainUserUs: us(n, 'mainUser'),
    mainSystemUs: us(n, 'mainSystem'),
    allThreadsUs: us(n, 'all'),
    wallUs: us(n, 'wall'),
  };
  result[`batchOf${n}`] = { ...row, allThreadsUsPerEntry: Math.round(row.allThreadsUs / n) };
  console.log(
    `batch of ${n}: main thread ${row.mainUserUs} µs user + ${row.mainSystemUs} µs system, ` +
      `all threads ${row.allThreadsUs} µs (${Math.round(row.allThreadsUs / n)} µs per entry), wall ${row.wallUs} µs`,
  );
}
console.log(JSON.stringify(result));
