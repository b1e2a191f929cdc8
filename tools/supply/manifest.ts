import { isHex } from '../../src/crypto/index.js';
import { artifactPathProblem } from '../../src/provenance/artifact-path.js';
import type { ArtifactDigest } from '../../src/provenance/artifact-files.js';

/**
 * The integrity manifest: one line per file, `<64 hex sha256>  <relative path>\n`, sorted
 * by path. That is the format of coreutils `sha256sum`, so an operator without this tool
 * can still run `sha256sum -c MANIFEST.sha256` from the artifact root.
 */
export type ManifestEntry = ArtifactDigest;

/** Upper bound on lines read from a manifest (the artifact has a few hundred files). */
export const MAX_MANIFEST_ENTRIES = 20_000;

/** Serialises entries (sorted by path, byte order) in sha256sum format. */
export function formatManifest(entries: readonly ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  return sorted.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

/**
 * Parses a manifest. Throws TypeError naming the first bad line: a malformed manifest must
 * stop verification rather than be half-read.
 */
export function parseManifest(text: string): ManifestEntry[] {
  if (text.length > 0 && !text.endsWith('\n'))
    throw new TypeError('manifest: missing final newline');
  const lines = text.split('\n').slice(0, -1);
  if (lines.length === 0) throw new TypeError('manifest: no entries');
  if (lines.length > MAX_MANIFEST_ENTRIES) throw new TypeError('manifest: too many entries');
  const seen = new Set<string>();
  return lines.map((line, i) => {
    const sha256 = line.slice(0, 64);
    const path = line.slice(66);
    if (!isHex(sha256, 32) || line.slice(64, 66) !== '  ')
      throw new TypeError(`manifest line ${i + 1}: expected "<64 hex>  <path>"`);
    const problem = artifactPathProblem(path);
    if (problem !== undefined) throw new TypeError(`manifest line ${i + 1}: path ${problem}`);
    if (seen.has(path)) throw new TypeError(`manifest line ${i + 1}: duplicate path`);
    seen.add(path);
    return { path, sha256 };
  });
}

/** One disagreement between a manifest and the files on disk. */
export interface ManifestMismatch {
  readonly path: string;
  readonly kind: 'changed' | 'missing' | 'unlisted';
}

/**
 * Compares expected entries with what is on disk. `unlisted` files matter as much as
 * changed ones: an added file in dist/ is code that would run without being vouched for.
 */
export function compareManifest(
  expected: readonly ManifestEntry[],
  actual: readonly ManifestEntry[],
): ManifestMismatch[] {
  const onDisk = new Map(actual.map((e) => [e.path, e.sha256]));
  const listed = new Set(expected.map((e) => e.path));
  const out: ManifestMismatch[] = [];
  for (const e of expected) {
    const digest = onDisk.get(e.path);
    if (digest === undefined) out.push({ path: e.path, kind: 'missing' });
    else if (digest !== e.sha256) out.push({ path: e.path, kind: 'changed' });
  }
  for (const e of actual) if (!listed.has(e.path)) out.push({ path: e.path, kind: 'unlisted' });
  return out;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
