#!/usr/bin/env node
/**
 * Micro benchmark: the file-backed Merkle audit log (issue #5, part A).
 *
 * 1. Durable appends/s with 64 concurrent writers (group commit: one fdatasync of the
 *    three files per batch), against a baseline measured in the same run and alternated
 *    with it: 1 writer, i.e. one fdatasync round per append.
 * 2. Builds a log of 1,000,000 leaves (~250-byte JSON-like leaves) in a temp dir, then
 *    median µs of inclusion and consistency proof generation at that size.
 * 3. Start-up: open() of the 1M log (full verification pass) in a fresh child process,
 *    its wall time and the process RSS after open (median of 3).
 * Prints human lines, then one JSON line (`{"bench":"audit",...}`) for the bench runner.
 * Not a test: asserts nothing about speed. Figures drift ±30% between runs here.
 *
 * Usage: node bench/micro/audit.bench.mjs   (after `npm run build`; BENCH_DIST=dir for
 * another build; BENCH_AUDIT_LEAVES to change the 1M; BENCH_ROUND_MS, default 1500)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendLoop, dist, fromDist, leafBytes, median, seededPositions } from './audit-common.mjs';

const { openFileLogStore } = await fromDist('audit/storage/file-log-store.js', 'audit.bench');

// Child mode: open the log once, report time and RSS, exit.
if (process.argv[2] === '--open') {
  const rssBefore = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const store = await openFileLogStore(process.argv[3]);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000; // both threads: main + tree-check worker
  const rss = process.memoryUsage().rss;
  console.log(JSON.stringify({ ms, cpuMs, rss, rssBefore, size: store.size() }));
  await store.close();
  process.exit(0);
}

const { verifyInclusion, verifyConsistency } = await fromDist('audit/merkle.js', 'audit.bench');
const LEAVES = Number(process.env.BENCH_AUDIT_LEAVES ?? 1_000_000);

async function appendsPerSecond(writers) {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-bench-append-'));
  const store = await openFileLogStore(dir);
  const { rate } = await appendLoop([store], writers);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

const root = mkdtempSync(path.join(tmpdir(), 'audit-bench-'));
try {
  const rates64 = [];
  const rates1 = [];
  for (let r = 0; r < 3; r++) {
    rates64.push(await appendsPerSecond(64));
    rates1.push(await appendsPerSecond(1));
  }
  const appends64 = median(rates64);
  const appends1 = median(rates1);
  console.log(
    `durable appends/s: 64 writers ${appends64.toFixed(0)}, 1 writer ${appends1.toFixed(0)} ` +
      `(ratio ${(appends64 / appends1).toFixed(1)}x; rounds ${rates64.map((x) => x.toFixed(0)).join('/')})`,
  );

  // Build the big log through the real append path, 4096 appends in flight.
  const dir = path.join(root, 'log');
  const tBuild = performance.now();
  let store = await openFileLogStore(dir);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4096 }, async () => {
      while (next < LEAVES) await store.append(leafBytes(next++));
    }),
  );
  const buildS = (performance.now() - tBuild) / 1000;
  await store.close();
  console.log(`built ${LEAVES} leaves in ${buildS.toFixed(1)} s`);

  const opens = [];
  for (let r = 0; r < 3; r++) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--open', dir], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_DIST: dist },
    });
    if (child.status !== 0) throw new Error(`open child failed: ${child.stderr}`);
    opens.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const openMs = median(opens.map((o) => o.ms));
  const openCpuMs = median(opens.map((o) => o.cpuMs));
  const openRssMB = median(opens.map((o) => o.rss)) / 2 ** 20;
  const baseRssMB = median(opens.map((o) => o.rssBefore)) / 2 ** 20;
  console.log(
    `open of ${opens[0].size} leaves: ${openMs.toFixed(0)} ms wall, ${openCpuMs.toFixed(0)} ms CPU ` +
      `(runs ${opens.map((o) => o.ms.toFixed(0)).join('/')}), ` +
      `RSS ${openRssMB.toFixed(0)} MiB after open (${baseRssMB.toFixed(0)} MiB before)`,
  );

  store = await openFileLogStore(dir);
  const size = store.size();
  const rootHash = await store.rootAt(size);
  const rand = seededPositions();
  const incl = [];
  const cons = [];
  for (let k = 0; k < 2000; k++) {
    const i = rand(size);
    let t = performance.now();
    const proof = await store.inclusionProof(i, size);
    incl.push((performance.now() - t) * 1000);
    if (!verifyInclusion(await store.leafHash(i), i, size, proof, rootHash))
      throw new Error('bad inclusion proof');
    const m = 1 + rand(size - 1);
    t = performance.now();
    const cp = await store.consistencyProof(m, size);
    cons.push((performance.now() - t) * 1000);
    if (k < 50 && !verifyConsistency(m, size, cp, await store.rootAt(m), rootHash)) {
      throw new Error('bad consistency proof');
    }
  }
  await store.close();
  const inclusionUs = median(incl);
  const consistencyUs = median(cons);
  console.log(
    `proofs at ${size}: inclusion ${inclusionUs.toFixed(1)} µs, consistency ${consistencyUs.toFixed(1)} µs (median of 2000)`,
  );

  console.log(
    JSON.stringify({
      bench: 'audit',
      appendsPerSec64Writers: Math.round(appends64),
      appendsPerSec1Writer: Math.round(appends1),
      groupCommitRatio: Number((appends64 / appends1).toFixed(2)),
      leaves: size,
      buildSeconds: Number(buildS.toFixed(1)),
      openMs: Math.round(openMs),
      openCpuMs: Math.round(openCpuMs),
      openRssMiB: Math.round(openRssMB),
      rssBeforeOpenMiB: Math.round(baseRssMB),
      inclusionProofMedianUs: Number(inclusionUs.toFixed(1)),
      consistencyProofMedianUs: Number(consistencyUs.toFixed(1)),
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
