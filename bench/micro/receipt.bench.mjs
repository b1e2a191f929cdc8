#!/usr/bin/env node
/**
 * Micro benchmark: what receipts (docs/protocol.md §9) cost the file-backed audit log.
 *
 * Durable appends/s of the file log opened WITH a head signer (one Ed25519 checkpoint per
 * group-commit batch, signed and written to head.bin while the batch's three fdatasyncs
 * run, then fdatasynced too; every append gets its checkpoint and inclusion proof) against
 * the same log WITHOUT one, with 64 and with 1 concurrent writers. Many SHORT rounds,
 * alternated (25 × 250 ms by default): on a shared 2-core machine the load drifts by more
 * than the effect between long rounds; alternating every 250 ms hits both sides alike
 * (7 rounds of 1.5 s gave ratios anywhere between 0.66 and 1.10 run to run).
 * Reports the medians and the ratio with/without (target: ≥ 0.90, i.e. receipts cost ≤ 10%).
 * Prints human lines, then one JSON line (`{"bench":"receipt",...}`) for the bench runner.
 * Not a test: asserts nothing. Figures drift ±30% between runs on a shared machine.
 *
 * Usage: node bench/micro/receipt.bench.mjs   (after `npm run build`; BENCH_DIST=dir for
 * another build; BENCH_RECEIPT_ROUND_MS, default 250; BENCH_RECEIPT_ROUNDS, default 25)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { appendLoop, benchIdentity, fromDist, median } from './audit-common.mjs';

const { openFileLogStore } = await fromDist('audit/storage/file-log-store.js', 'receipt.bench');
const ROUND_MS = Number(process.env.BENCH_RECEIPT_ROUND_MS ?? 250);
const ROUNDS = Number(process.env.BENCH_RECEIPT_ROUNDS ?? 25);
const { signer } = await benchIdentity();
const variants = { off: {}, on: { signer } };

async function appendsPerSecond(writers, variant) {
  const dir = mkdtempSync(path.join(tmpdir(), 'receipt-bench-'));
  const store = await openFileLogStore(dir, variants[variant]);
  const { rate } = await appendLoop([store], writers, ROUND_MS, (r) => {
    if (variant !== 'off' && r.proof === undefined) throw new Error('no receipt');
  });
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

const result = { bench: 'receipt', loadBefore: Number(loadavg()[0].toFixed(2)) };
const order = ['off', 'on'];
for (const writers of [64, 1]) {
  const rates = { off: [], on: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate which variant goes first, so drift hits all alike.
    for (let k = 0; k < order.length; k++) {
      const v = order[(r + k) % order.length];
      rates[v].push(await appendsPerSecond(writers, v));
    }
  }
  const m = Object.fromEntries(order.map((v) => [v, median(rates[v])]));
  const ratio = m.on / m.off;
  const spread = (v) => {
    const xs = [...rates[v]].sort((a, b) => a - b);
    return `${xs[0].toFixed(0)}..${xs.at(-1).toFixed(0)}`;
  };
  console.log(
    `${writers} writer(s): receipts ${m.on.toFixed(0)}/s, without ${m.off.toFixed(0)}/s, ratio ${ratio.toFixed(3)} ` +
      `(medians of ${ROUNDS} alternating rounds of ${ROUND_MS} ms; range on ${spread('on')}, off ${spread('off')})`,
  );
  result[`withReceipts${writers}Writers`] = Math.round(m.on);
  result[`withoutReceipts${writers}Writers`] = Math.round(m.off);
  result[`ratio${writers}Writers`] = Number(ratio.toFixed(3));
}
result.loadAfter = Number(loadavg()[0].toFixed(2));
console.log(JSON.stringify(result));
