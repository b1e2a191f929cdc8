import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of a file in ../shared/vectors (CI clones main with shared/ beside it). */
export function vectorPath(name: string): string {
  return path.resolve(repoRoot, '../shared/vectors', name);
}
