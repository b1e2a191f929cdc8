import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of a known-answer file in test/vectors (see its README for sources). */
export function vectorPath(name: string): string {
  return path.join(repoRoot, 'test/vectors', name);
}

/**
 * `--import` arguments for a child process that runs the TypeScript source: tsx, also in
 * the worker threads the code starts (see test/helpers/typescript-loader.mjs).
 */
export const TYPESCRIPT_LOADER: readonly string[] = [
  '--import',
  pathToFileURL(path.join(repoRoot, 'test/helpers/typescript-loader.mjs')).href,
];
