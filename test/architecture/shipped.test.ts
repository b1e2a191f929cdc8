import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { importsUnder, sourceFiles } from './import-graph.js';

/**
 * What ships in dist/ (docs/architecture.md): the compiled src/ and nothing else. Release
 * tooling (SBOM check, manifest, provenance statement builder, audit gate, release key
 * file) lives in tools/, is type-checked, linted and tested, and never compiled into dist/;
 * the runtime never loads a development loader.
 */
const readJson = (file: string): { include?: string[] } =>
  JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as { include?: string[] };

/** Names only the release tooling defines; none may be defined under src/ or shipped. */
const TOOLING_EXPORTS = [
  'buildProvenanceStatement',
  'sbomDrift',
  'evaluateGate',
  'parseAllowList',
  'formatManifest',
  'hashArtifact',
];

describe('what ships in dist/', () => {
  it('never imports tools/ from src/', () => {
    const bad = importsUnder('src')
      .filter((i) => i.target !== undefined && !i.target.startsWith('src/'))
      .map((i) => `${i.file}: ${i.specifier}`);
    expect(bad).toEqual([]);
  });

  it('compiles only src/ into dist/; tools/ is type-checked by tsconfig.json', () => {
    expect(readJson('tsconfig.build.json').include).toEqual(['src']);
    expect(readJson('tsconfig.json').include).toContain('tools');
    // The files the build compiles, as tsc resolves them (an import reaching out of src/
    // would pull its target in here).
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const listed = execFileSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'],
      { cwd: repoRoot, encoding: 'utf8' },
    )
      .split('\n')
      .map((f) => path.relative(repoRoot, f.trim()))
      .filter((f) => f !== '' && !f.startsWith('node_modules/') && !f.startsWith('..'));
    expect(listed.length).toBeGreaterThan(100);
    expect(listed.filter((f) => !f.startsWith('src/'))).toEqual([]);
  });

  it('defines no release tooling under src/', () => {
    const bad = sourceFiles('src').flatMap((f) => {
      const text = readFileSync(path.join(repoRoot, f), 'utf8');
      return TOOLING_EXPORTS.filter((name) =>
        new RegExp(`export (?:async )?function ${name}\\b`).test(text),
      ).map((name) => `${f}: ${name}`);
    });
    expect(bad).toEqual([]);
  });

  it('never imports or names a development loader (tsx, ts-node, esbuild-register) in src/', () => {
    const LOADER = /\b(?:tsx|ts-node|esbuild-register|@swc-node\/register)\b/;
    const bad = sourceFiles('src').filter((f) =>
      LOADER.test(readFileSync(path.join(repoRoot, f), 'utf8')),
    );
    expect(bad).toEqual([]);
  });

  it('holds no release tooling in a built dist/ (checked when dist/ exists)', () => {
    const dist = path.join(repoRoot, 'dist');
    if (!existsSync(dist)) return;
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.js'),
    );
    const bad = files.filter((f) => {
      if (f.split(path.sep)[0] === 'supply') return true;
      const text = readFileSync(path.join(dist, f), 'utf8');
      return TOOLING_EXPORTS.some((name) => text.includes(`function ${name}(`));
    });
    expect(bad, 'release tooling in dist/ (run `npm run build` if dist/ is stale)').toEqual([]);
  });
});
