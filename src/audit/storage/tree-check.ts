import { readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { sha256 } from '../../crypto/index.js';
import { HASH_BYTES } from '../merkle.js';
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

/**
 * Streams hashes.bin once and checks that every interior hash stored for the first
 * `leaves` leaves is H(0x01 ‖ left ‖ right) of the stored hashes below it. Together with
 * the caller's check of every stored leaf hash against its record, this verifies the
 * whole stored tree against the entries.
 */
export function checkInteriorHashes(fd: number, fileSize: number, leaves: number): TreeCheckResult {
  const reader = new SequentialReader(fd, fileSize);
  const scratch = new Uint8Array(1 + 2 * HASH_BYTES);
  const stack: Uint8Array[] = [];
  let pos = 0;
  for (let i = 0; i < leaves; i++) {
    const t = trailingOnes(i);
    let at = reader.locate(pos * HASH_BYTES, HASH_BYTES);
    pos += 1;
    if (t === 0) {
      stack.push(Buffer.from(reader.buffer.subarray(at, at + HASH_BYTES)));
      continue;
    }
    // First node above the leaf: its right child is the stored leaf hash, copied straight
    // from the read buffer into the scratch input.
    scratch[0] = 1;
    scratch.set(stack.pop() as Uint8Array, 1);
    reader.buffer.copy(scratch, 1 + HASH_BYTES, at, at + HASH_BYTES);
    let h = sha256(scratch);
    for (let k = 0; k < t; k++) {
      if (k > 0) h = nodeHashInto(scratch, stack.pop() as Uint8Array, h);
      at = reader.locate(pos * HASH_BYTES, HASH_BYTES);
      if (reader.buffer.compare(h, 0, HASH_BYTES, at, at + HASH_BYTES) !== 0) {
        return { badHash: pos, leaf: i };
      }
      pos += 1;
    }
    stack.push(h);
  }
  return { badHash: null, leaf: leaves };
}

/** A check running on a worker thread (the second core), cancellable if open() fails first. */
export interface RunningCheck {
  readonly result: Promise<TreeCheckResult>;
  cancel(): void;
}

/** Runs checkInteriorHashes on a worker thread; the fd is shared (one process). */
export function checkInteriorHashesInWorker(
  fd: number,
  fileSize: number,
  leaves: number,
): RunningCheck {
  const url = new URL('./tree-check-worker.js', import.meta.url);
  // Under tsx/vitest this module is TypeScript source; the worker then loads the .ts entry
  // through tsx's loader (worker execArgv cannot carry --import).
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fromSource
    ? `import('tsx/esm/api').then((t) => t.register()).then(() => import(${JSON.stringify(
        new URL('./tree-check-worker.ts', import.meta.url).href,
      )}))`
    : url;
  const worker = new Worker(entry, { eval: fromSource, workerData: { fd, fileSize, leaves } });
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
