import { readSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sha256, sha256Hex } from '../../crypto/index.js';
import { HASH_BYTES } from '../merkle.js';
import type { BlockBoardData } from './block-board.js';
import { copyHash } from './hash-bytes.js';
import type { LogFileSizes } from './record-check.js';
import { SequentialReader } from './sequential-reader.js';
import { storedHashIndex, trailingOnes } from './tlog-layout.js';

/** Where the interior check failed: the stored hash index and the leaf that wrote it. */
export interface TreeCheckResult {
  readonly badHash: number | null;
  readonly leaf: number;
}

/** merkle.nodeHash through one reused 65-byte buffer: open() computes about n of these. */
export function nodeHashInto(scratch: Uint8Array, left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch[0] = 1;
  scratch.set(left, 1);
  scratch.set(right, 1 + HASH_BYTES);
  return sha256(scratch);
}

/** Most pending left subtrees at once: one per bit of a leaf count (< 2^64). */
const MAX_PENDING = 64;

/**
 * Streams hashes.bin once and checks that every interior hash stored for the first
 * `leaves` leaves is H(0x01 ‖ left ‖ right) of the stored hashes below it. Together with
 * the caller's check of every stored leaf hash against its record, this verifies the
 * whole stored tree against the entries, by induction from the leaves: each node's
 * children are themselves stored hashes that were checked (or are checked leaf hashes).
 *
 * Hot loop for ~n node hashes: digests are compared as hex strings (a one-shot hex digest
 * is a fraction of the cost of allocating a Buffer per hash), and the pending left
 * subtrees live in fixed node-input buffers, so the loop allocates no Buffers at all.
 * `chunkBytes` sets the read size (tests use tiny chunks to cross chunk boundaries).
 */
export function checkInteriorHashes(
  fd: number,
  fileSize: number,
  leaves: number,
  chunkBytes?: number,
): TreeCheckResult {
  const reader = new SequentialReader(fd, fileSize, chunkBytes);
  // One node-hash input per pending left subtree: 0x01 ‖ left ‖ room for the right child,
  // so a node costs one 32-byte copy (its right child) before it is hashed.
  const inputs = Array.from({ length: MAX_PENDING }, () => {
    const input = new Uint8Array(1 + 2 * HASH_BYTES);
    input[0] = 1;
    return input;
  });
  let depth = 0;
  let pos = 0; // index of leaf i's hash in hashes.bin
  for (let i = 0; i < leaves; i++) {
    const t = trailingOnes(i);
    // Leaf i's hash and the t node hashes it completed are consecutive in the file.
    let at = reader.locate(pos * HASH_BYTES, (1 + t) * HASH_BYTES);
    if (at < 0) throw new Error('hashes.bin shorter than expected');
    const buf = reader.buffer;
    for (let k = 1; k <= t; k++) {
      // Left child: the pending subtree; right child: the hash stored just before the node.
      depth -= 1;
      const input = inputs[depth] as Uint8Array;
      copyHash(buf, at, input, 1 + HASH_BYTES);
      at += HASH_BYTES;
      if (sha256Hex(input) !== buf.toString('hex', at, at + HASH_BYTES)) {
        return { badHash: pos + k, leaf: i };
      }
    }
    copyHash(buf, at, inputs[depth] as Uint8Array, 1);
    depth += 1;
    pos += 1 + t;
  }
  return { badHash: null, leaf: leaves };
}

/** A check running on a worker thread (the second core), cancellable if open() fails first. */
export interface RunningCheck {
  readonly result: Promise<TreeCheckResult>;
  cancel(): void;
}

/** What the worker is given: the tree check, and optionally record blocks to share. */
export interface WorkerJob {
  readonly fd: number;
  readonly fileSize: number;
  readonly leaves: number;
  readonly records?: { readonly files: LogFileSizes; readonly board: BlockBoardData };
}

/**
 * The worker's first code: plain JavaScript, run with `eval`, so it needs neither a build
 * step nor a loader. It imports `workerData.preloads` in order, then the worker entry.
 */
const WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  for (const preload of workerData.preloads) await import(preload);
  await import(workerData.entry);
})();
`;

/**
 * The process's `--import` preloads, resolved as Node resolves them (paths relative to the
 * working directory). Node 20 runs them on the main thread only, never in a worker.
 */
function processPreloads(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const spec =
      arg === '--import' ? argv[++i] : arg.startsWith('--import=') ? arg.slice(9) : undefined;
    if (spec === undefined) continue;
    out.push(/^\.{0,2}\//.test(spec) ? pathToFileURL(path.resolve(spec)).href : spec);
  }
  return out;
}

/**
 * Runs checkInteriorHashes on a worker thread (fds are shared: one process), which then
 * helps with the record blocks on `job.records`; the result settles when it is done with both.
 *
 * The entry is the worker module beside this one. From dist/ it is compiled JavaScript and
 * the worker imports nothing else. When this module runs from TypeScript source (a test
 * harness), the worker first runs the process's `--import` preloads, so the loader the
 * harness preloaded (tools/ts-worker-loader.mjs) can load the `.ts` entry there too.
 */
export function checkInteriorHashesInWorker(job: WorkerJob): RunningCheck {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./tree-check-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  const preloads = fromSource ? processPreloads() : [];
  const worker = new Worker(WORKER_BOOTSTRAP, {
    eval: true,
    workerData: { ...job, entry, preloads },
  });
  const result = new Promise<TreeCheckResult>((resolve, reject) => {
    worker.once('message', (r: TreeCheckResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`tree check worker exited with ${code}`)));
  });
  return {
    result,
    cancel: () => {
      result.catch(() => undefined); // nobody awaits a cancelled check
      void worker.terminate();
    },
  };
}

/** Reads the compact range (perfect subtrees covering [0, size)) from hashes.bin. */
export function readCompactRange(
  fd: number,
  nodes: readonly { level: number; index: number }[],
): Uint8Array[] {
  return nodes.map(({ level, index }) => {
    const buf = Buffer.alloc(HASH_BYTES);
    const n = readSync(fd, buf, 0, HASH_BYTES, storedHashIndex(level, index) * HASH_BYTES);
    if (n !== HASH_BYTES) throw new Error('hashes.bin shorter than expected');
    return buf;
  });
}
