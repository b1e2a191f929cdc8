import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of a known-answer file in test/vectors (see its README for sources). */
export function vectorPath(name: string): string {
  return path.join(repoRoot, 'test/vectors', name);
}

/**
 * `--import` arguments for a child process that runs the TypeScript source: tsx, and
 * tools/ts-worker-loader.mjs for the worker threads the code starts.
 */
export const TYPESCRIPT_LOADER: readonly string[] = [
  '--import',
  'tsx',
  '--import',
  pathToFileURL(path.join(repoRoot, 'tools/ts-worker-loader.mjs')).href,
];
