#!/usr/bin/env node
/**
 * Micro benchmark, the disk's own floor: how long one fdatasync takes on the file system
 * the load phase's gateways write their audit logs to (os.tmpdir()), with nothing of the
 * gateway in the way. One 1 KiB append and one fdatasync at a time, for
 * BENCH_DISK_SEC seconds (default 5), as the file log's batch of one does; the latency
 * of each sync is recorded.
 *
 * The p99 target at 50% load cannot come below what this shows: every answer waits for
 * its batch's fdatasyncs (two per batch with receipts), so the syncs over 5 ms here are
 * stalls that any answer in flight at that moment also sees. Compare with the load
 * phase's audit batch table (`gateway_audit_batch_commit_seconds`, same run).
 * Prints human lines, then one JSON line (`{"bench":"disk",...}`) for the bench runner.
 * Not a test: asserts nothing.
 *
 * Usage: node bench/micro/disk.bench.mjs
 */
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { percentile } from './audit-common.mjs';

const SECONDS = Number(process.env.BENCH_DISK_SEC ?? 5);
const dir = mkdtempSync(path.join(tmpdir(), 'disk-bench-'));
const fd = openSync(path.join(dir, 'entries.log'), 'w');
const record = Buffer.alloc(1024, 0x61);
const datasync = () =>
  new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));

const waits = [];
let at = 0;
const end = performance.now() + SECONDS * 1000;
try {
  while (performance.now() < end) {
    writeSync(fd, record, 0, record.length, at);
    at += record.length;
    const t = performance.now();
    await datasync();
    waits.push(performance.now() - t);
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}

const ms = (p) => Number(percentile(waits, p).toFixed(3));
const result = {
  bench: 'disk',
  seconds: SECONDS,
  syncs: waits.length,
  p50Ms: ms(50),
  p99Ms: ms(99),
  p999Ms: ms(99.9),
  maxMs: Number(Math.max(...waits).toFixed(1)),
  over5ms: waits.filter((w) => w > 5).length,
  over50ms: waits.filter((w) => w > 50).length,
};
console.log(
  `fdatasync after a 1 KiB append, ${result.syncs} in ${SECONDS} s on ${tmpdir()}: p50 ${result.p50Ms} ms, ` +
    `p99 ${result.p99Ms} ms, p99.9 ${result.p999Ms} ms, max ${result.maxMs} ms; ${result.over5ms} over 5 ms, ${result.over50ms} over 50 ms`,
);
console.log(JSON.stringify(result));
