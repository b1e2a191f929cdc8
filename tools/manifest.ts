/**
 * `npm run manifest` writes release/MANIFEST.sha256 (sha256sum format) for every file of
 * the built artifact; `npm run manifest:verify` recomputes and fails on any changed,
 * missing or unlisted file.
 *
 *   tsx tools/manifest.ts write  [--root <dir>] [--manifest <file>]
 *   tsx tools/manifest.ts verify [--root <dir>] [--manifest <file>]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { hashArtifact } from './supply/artifact-digests.js';
import { compareManifest, formatManifest, parseManifest } from './supply/manifest.js';
import { parseScriptArgs } from './script-args.js';

/** Default manifest location, relative to the artifact root. */
const DEFAULT_MANIFEST = 'release/MANIFEST.sha256';

async function main(argv: string[]): Promise<number> {
  const { values, positional } = parseScriptArgs(argv, {
    values: ['--root', '--manifest'],
    flags: [],
  });
  const root = resolve(values.get('--root') ?? '.');
  const manifestPath = resolve(root, values.get('--manifest') ?? DEFAULT_MANIFEST);
  const mode = positional[0];
  if (mode === 'write') {
    const entries = await hashArtifact(root);
    await mkdir(dirname(manifestPath), { recursive: true });
    await writeFile(manifestPath, formatManifest(entries));
    console.log(`manifest: wrote ${entries.length} entries to ${manifestPath}`);
    return 0;
  }
  if (mode === 'verify') {
    const expected = parseManifest(await readFile(manifestPath, 'utf8'));
    const mismatches = compareManifest(expected, await hashArtifact(root));
    for (const m of mismatches) console.error(`manifest: ${m.kind.padEnd(8)} ${m.path}`);
    if (mismatches.length > 0) {
      console.error(`manifest: FAILED, ${mismatches.length} mismatch(es) against ${manifestPath}`);
      return 1;
    }
    console.log(`manifest: OK, ${expected.length} files match ${manifestPath}`);
    return 0;
  }
  console.error('usage: tsx tools/manifest.ts write|verify [--root <dir>] [--manifest <file>]');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`manifest: FAILED: ${(err as Error).message}`);
    process.exit(1);
  },
);
