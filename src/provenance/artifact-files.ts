import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../crypto/index.js';

/**
 * File-system adapter for the integrity manifest: which files make up the built artifact,
 * and their SHA-256 digests. The artifact is what the runtime image copies: the compiled
 * `dist/`, the policy directory, and the package and lock files that fix the production
 * dependency tree.
 */
export const ARTIFACT_DIRECTORIES = ['dist', 'policy'] as const;
export const ARTIFACT_FILES = ['package.json', 'package-lock.json'] as const;

/** One artifact file and the lowercase hex SHA-256 of its bytes. */
export interface ArtifactDigest {
  /** Relative to the artifact root, `/` separators (see artifact-path.ts). */
  readonly path: string;
  readonly sha256: string;
}

/**
 * The artifact's file paths under `root`, relative to `root` with `/` separators. Throws
 * when a required file or directory is missing, or on a symlink or special file: a link
 * could make a manifest or a provenance subject vouch for content outside the artifact.
 */
export async function listArtifactFiles(root: string): Promise<string[]> {
  const paths: string[] = [...ARTIFACT_FILES];
  for (const dir of ARTIFACT_DIRECTORIES) paths.push(...(await listFiles(root, dir)));
  return paths;
}

/** SHA-256 (hex) of one regular file under `root`; throws on a symlink or non-file. */
export async function hashFile(root: string, path: string): Promise<string> {
  const full = join(root, path);
  const info = await lstat(full);
  if (!info.isFile()) throw new Error(`${path}: not a regular file`);
  return sha256Hex(await readFile(full));
}

async function listFiles(root: string, dir: string): Promise<string[]> {
  const info = await lstat(join(root, dir));
  if (!info.isDirectory()) throw new Error(`${dir}: not a directory`);
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (entry.isFile()) out.push(rel);
    else throw new Error(`${rel}: symlinks and special files are not allowed in the artifact`);
  }
  return out;
}
