import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Absolute path of a known-answer file in test/vectors (see its README for sources). */
export function vectorPath(name: string): string {
  return path.join(repoRoot, 'test/vectors', name);
}
