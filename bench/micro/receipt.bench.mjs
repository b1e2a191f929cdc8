#!/usr/bin/env node
/**
 * Micro benchmark: what receipts (docs/protocol.md §9) cost the file-backed audit log.
 *
 * Durable appends/s of the file log opened WITH a head signer (one Ed25519 checkpoint per
 * group-commit batch, written to head.bin and fdatasynced with the batch; every append
 * gets its checkpoint and inclusion proof) against the same log WITHOUT one, alternated
 * round by round in the same run, with 64 and with 1 concurrent writers. Reports the
 * medians and the ratio with/without (target: ≥ 0.90, i.e. receipts cost ≤ 10%).
 * Prints human lines, then one JSON line (`{"bench":"receipt",...}`) for the bench runner.
 * Not a test: asserts nothing. Figures drift ±30% between runs on a shared machine.
 *
 * Usage: node bench/micro/receipt.bench.mjs   (after `npm run build`; BENCH_DIST=dir for
 * another build; BENCH_ROUND_MS, default 1500; BENCH_RECEIPT_ROUNDS, default 5)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(here, '../../dist'));
const storeJs = path.join(dist, 'audit/storage/file-log-store.js');
if (!existsSync(storeJs)) {
  console.error(`receipt.bench: ${storeJs} not found; run \`npm run build\` first`);
  process.exit(1);
}
const { openFileLogStore } = await import(pathToFileURL(storeJs).href);
const { checkpointHeadSigner, noteVerifier } = await import(
  pathToFileURL(path.join(dist, 'audit/checkpoint.js')).href
);
const { generateEd25519KeyPair } = await import(
  pathToFileURL(path.join(dist, 'crypto/index.js')).href
);

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_RECEIPT_ROUNDS ?? 5);
const enc = new TextEncoder();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const key = generateEd25519KeyPair();
const signer = checkpointHeadSigner(
  noteVerifier('bench.example/log', key.publicKey),
  key.secretKey,
);

/** A leaf the size of a typical JCS decision entry (~250 bytes). */
function leafBytes(i) {
  return enc.encode(
    `{"action":"deploy","client":"ci-main","decision":"allow","id":"01J${String(i).padStart(23, '0')}",` +
      `"policy":"sha256:${'ab'.repeat(32)}","reasons":[],"request":"sha256:${'cd'.repeat(32)}",` +
      `"target":"acme/web","time":"2026-11-21T20:00:00.000Z","type":"decision","v":1}`,
  );
}

async function appendsPerSecond(writers, withReceipts) {
  const dir = mkdtempSync(path.join(tmpdir(), 'receipt-bench-'));
  const store = await openFileLogStore(dir, withReceipts ? { signer } : {});
  let done = 0;
  let stop = false;
  const t0 = performance.now();
  setTimeout(() => (stop = true), ROUND_MS);
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (!stop) {
        const r = await store.append(leafBytes(done));
        if (withReceipts && r.proof === undefined) throw new Error('no receipt');
        done += 1;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

const result = { bench: 'receipt' };
for (const writers of [64, 1]) {
  const on = [];
  const off = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so drift hits both alike.
    if (r % 2 === 0) {
      off.push(await appendsPerSecond(writers, false));
      on.push(await appendsPerSecond(writers, true));
    } else {
      on.push(await appendsPerSecond(writers, true));
      off.push(await appendsPerSecond(writers, false));
    }
  }
  const ratio = median(on) / median(off);
  console.log(
    `${writers} writer(s): with receipts ${median(on).toFixed(0)}/s, without ${median(off).toFixed(0)}/s, ` +
      `ratio ${ratio.toFixed(3)} (rounds on ${on.map((x) => x.toFixed(0)).join('/')}; off ${off.map((x) => x.toFixed(0)).join('/')})`,
  );
  result[`withReceipts${writers}Writers`] = Math.round(median(on));
  result[`withoutReceipts${writers}Writers`] = Math.round(median(off));
  result[`ratio${writers}Writers`] = Number(ratio.toFixed(3));
}
console.log(JSON.stringify(result));
