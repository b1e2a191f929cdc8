#!/usr/bin/env node
/**
 * Micro benchmark, the file delivery outbox (src/delivery/file-outbox.ts): durable
 * enqueues per second and the CPU of each (all threads, process.cpuUsage), with 1 writer
 * (each enqueue awaited before the next: every one pays its own write and fdatasync) and
 * with 16 (group commit). An allowed event with delivery targets is answered only after
 * its enqueue, so this is what deliveries add to a request. Each enqueue is one delivery
 * with a ~600-byte body, the size of an `event.allowed` webhook. Five rounds of
 * BENCH_OUTBOX_ROUND_MS (default 1000) per writer count, alternated, medians. Nothing is
 * ever delivered, as when a target is down: the backlog grows through the run (its size at
 * the end is reported), past the journal size (16 MiB) from which compaction is considered.
 *
 * Re-runs itself under `taskset -c <last core>` when taskset exists and there are two or
 * more cores (as run.mjs pins the servers). `BENCH_DIST=<another build>` measures that
 * build instead (an A/B against the commit before a change). Prints human lines, then one
 * JSON line (`{"bench":"outbox",...}`) for the bench runner. Not a test: asserts nothing.
 *
 * Usage: node bench/micro/outbox.bench.mjs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromDist, median, pinToLastCore } from './audit-common.mjs';

const pinnedToCore = pinToLastCore(import.meta.url, 'BENCH_OUTBOX_PINNED');

const ROUND_MS = Number(process.env.BENCH_OUTBOX_ROUND_MS ?? 1000);
const ROUNDS = 5;
const WRITERS = [1, 16];
const { openFileOutbox } = await fromDist('delivery/file-outbox.js', 'outbox');
const body = JSON.stringify({
  type: 'event.allowed',
  decision: '01J'.padEnd(26, '0'),
  client: 'ci-main',
  action: 'build',
  target: 'acme/web',
  request: `sha256:${'0'.repeat(64)}`,
  event: { action: 'build', target: 'acme/web', steps: [{ name: 'build', run: 'npm ci' }] },
  audit: { index: 0, leafHash: 'ab'.repeat(32) },
}).padEnd(600, ' ');
let n = 0;
let backlog = { pending: 0, journalMiB: 0 };
const delivery = () => ({
  id: `msg_${(n++).toString(16).padStart(32, '0')}`,
  target: 'ci-hooks',
  type: 'event.allowed',
  decision: `d${n}`,
  body,
  createdAtMs: Date.now(),
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-'));
const samples = new Map(WRITERS.map((w) => [w, []]));
try {
  const outbox = openFileOutbox(path.join(dir, 'deliveries'));
  // Warm-up: the first enqueues run unoptimised code.
  for (let i = 0; i < 300; i++) await outbox.enqueue([delivery()]);
  for (let round = 0; round < ROUNDS; round++)
    for (const writers of WRITERS) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let done = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (performance.now() - t0 < ROUND_MS) {
            await outbox.enqueue([delivery()]);
            done += 1;
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      samples.get(writers).push({ perSec: done / seconds, cpuUs: (cpu.user + cpu.system) / done });
    }
  backlog = {
    pending: (await outbox.stats()).pending,
    journalMiB: Math.round(outbox.journalBytes / 2 ** 20),
  };
  await outbox.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  bench: 'outbox',
  pinnedToCore,
  roundMs: ROUND_MS,
  pendingAtEnd: backlog.pending,
  journalMiBAtEnd: backlog.journalMiB,
};
for (const w of WRITERS) {
  const perSec = Math.round(median(samples.get(w).map((s) => s.perSec)));
  const cpuUs = Math.round(median(samples.get(w).map((s) => s.cpuUs)));
  result[`enqueuesPerSec${w}Writer${w === 1 ? '' : 's'}`] = perSec;
  result[`cpuUsPerEnqueue${w}Writer${w === 1 ? '' : 's'}`] = cpuUs;
  console.log(`${w} writer(s): ${perSec} durable enqueues/s, ${cpuUs} µs of CPU per enqueue`);
}
console.log(`backlog at the end: ${backlog.pending} pending, journal ${backlog.journalMiB} MiB`);
console.log(JSON.stringify(result));
