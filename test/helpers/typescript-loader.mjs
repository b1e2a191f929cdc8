/**
 * Preloaded (`--import`) into every process that runs the TypeScript source: vitest's test
 * processes (vitest.config.ts), the gateway and writer child processes of the tests.
 *
 * `--import tsx` alone registers tsx's loader on the main thread only under Node 20, and
 * Node 20 does not run preloads in worker threads. src/audit/storage/tree-check.ts, when it
 * runs from TypeScript source, starts its worker by running the process's `--import`
 * preloads first; this one then registers the loader in the worker too, and the worker can
 * import its `.ts` entry. src/ itself never names a loader.
 */
import { isMainThread } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

if (isMainThread) await import('tsx');
else register();
