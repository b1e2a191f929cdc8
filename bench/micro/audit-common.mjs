/**
 * What the audit micro benchmarks share (audit.bench.mjs, receipt.bench.mjs,
 * pg-audit.bench.mjs, batch-cost.bench.mjs, outbox.bench.mjs): the compiled modules from
 * dist/, pinning to the last core, a leaf the size of a decision entry, medians, a log
 * identity, and the timed append loop. body.bench.mjs uses its loading and medians.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.resolve(process.env.BENCH_DIST ?? path.join(here, '../../dist'));

/** Imports `dist/<rel>`, or exits with the build hint when the build is missing. */
export async function fromDist(rel, bench) {
  const file = path.join(dist, rel);
  if (!existsSync(file)) {
    console.error(`${bench}: ${file} not found; run \`npm run build\` first`);
    process.exit(1);
  }
  return import(pathToFileURL(file).href);
}

/**
 * Pins the calling script to the last core, as run.mjs pins the servers: when `taskset`
 * exists and there are two or more cores, runs the script again under `taskset -c <last>`
 * (with `envVar` set to that core, so the copy does not do it again) and exits with its
 * status. Returns the core the script runs on, or 'none'.
 */
export function pinToLastCore(scriptUrl, envVar) {
  const cores = os.cpus().length;
  if (process.env[envVar] !== undefined) return process.env[envVar];
  if (cores < 2 || spawnSync('taskset', ['-V']).status !== 0) return 'none';
  const run = spawnSync(
    'taskset',
    ['-c', String(cores - 1), process.execPath, fileURLToPath(scriptUrl)],
    { stdio: 'inherit', env: { ...process.env, [envVar]: String(cores - 1) } },
  );
  process.exit(run.status ?? 1);
}

export const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Nearest-rank percentile, p in 0..100. */
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/** A seeded generator of positions below `n` (the same proof positions in every run). */
export function seededPositions(seed = 12345) {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

const enc = new TextEncoder();
/** A leaf the size of a typical JCS decision entry (~250 bytes). */
export function leafBytes(i) {
  return enc.encode(
    `{"action":"deploy","client":"ci-main","decision":"allow","id":"01J${String(i).padStart(23, '0')}",` +
      `"policy":"sha256:${'ab'.repeat(32)}","reasons":[],"request":"sha256:${'cd'.repeat(32)}",` +
      `"target":"acme/web","time":"2026-11-21T20:00:00.000Z","type":"decision","v":1}`,
  );
}

/** A fresh log identity: origin, key pair, verifier and the checkpoint head signer. */
export async function benchIdentity(origin = 'bench.example/log') {
  const { checkpointHeadSigner, noteVerifier } = await fromDist('audit/checkpoint.js', 'bench');
  const { generateEd25519KeyPair } = await fromDist('crypto/index.js', 'bench');
  const key = generateEd25519KeyPair();
  const verifier = noteVerifier(origin, key.publicKey);
  return { origin, key, verifier, signer: checkpointHeadSigner(verifier, key.secretKey) };
}

/**
 * Runs `writers` concurrent append loops over `stores` (round-robin) for `ms`; returns
 * appends/s and every append's latency in ms. `check(result)` may throw on a bad answer.
 */
export async function appendLoop(stores, writers, ms = ROUND_MS, check = undefined) {
  let done = 0;
  let stop = false;
  const latencies = [];
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), ms);
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const store = stores[w % stores.length];
      while (!stop) {
        const t = performance.now();
        const r = await store.append(leafBytes(done));
        latencies.push(performance.now() - t);
        check?.(r);
        done += 1;
      }
    }),
  );
  clearTimeout(timer);
  return { rate: done / ((performance.now() - t0) / 1000), latencies };
}
