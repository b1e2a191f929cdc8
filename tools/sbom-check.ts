/**
 * `npm run sbom:check`: fails when the committed SBOM (sbom/codex-gateway.cdx.json) does
 * not list exactly the packages and versions of package-lock.json's production tree.
 * Fix with `npm run sbom` after any dependency change, and commit the result.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sbomDrift } from './supply/sbom-compare.js';

const root = resolve(process.argv[2] ?? '.');

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(resolve(root, path), 'utf8'));
}

async function main(): Promise<number> {
  const pkg = (await readJson('package.json')) as { name: string; version: string };
  const drift = sbomDrift(
    await readJson('sbom/codex-gateway.cdx.json'),
    await readJson('package-lock.json'),
    pkg,
  );
  for (const p of drift.missing) console.error(`sbom: missing from SBOM  ${p}`);
  for (const p of drift.extra) console.error(`sbom: not in lock file   ${p}`);
  if (drift.rootProblem !== undefined) console.error(`sbom: ${drift.rootProblem}`);
  if (drift.missing.length + drift.extra.length > 0 || drift.rootProblem !== undefined) {
    console.error('sbom: STALE. Run `npm run sbom` and commit sbom/codex-gateway.cdx.json');
    return 1;
  }
  console.log('sbom: OK, SBOM matches the lock file production tree');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`sbom: FAILED: ${(err as Error).message}`);
    process.exit(1);
  },
);
