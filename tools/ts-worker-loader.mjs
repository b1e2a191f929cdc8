/**
 * Development only (never shipped, never imported by src/): lets worker threads load the
 * TypeScript source. Preload it after tsx: `node --import tsx --import
 * ./tools/ts-worker-loader.mjs src/main.ts` (`npm run dev`, the tests' child processes,
 * vitest.config.ts).
 *
 * Under Node 20, `--import tsx` registers tsx's loader on the main thread only, and Node
 * runs preloads on the main thread only. src/audit/storage/tree-check.ts, when it runs from
 * TypeScript source, starts its worker by running the process's `--import` preloads there;
 * this one then registers tsx in the worker, which can import its `.ts` entry. On the main
 * thread it does nothing.
 */
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) (await import('tsx/esm/api')).register();
