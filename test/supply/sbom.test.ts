import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lockProductionPackages,
  sbomDrift,
  sbomPackages,
} from '../../tools/supply/sbom-compare.js';
import { repoRoot, runScript } from './helpers.js';

const readJson = async (path: string): Promise<unknown> =>
  JSON.parse(await readFile(join(repoRoot, path), 'utf8'));

describe('the committed SBOM (sbom/codex-gateway.cdx.json)', () => {
  it('is CycloneDX JSON listing exactly the production tree of package-lock.json', async () => {
    const bom = await readJson('sbom/codex-gateway.cdx.json');
    const lock = await readJson('package-lock.json');
    const pkg = (await readJson('package.json')) as { name: string; version: string };
    // Fix: `npm run sbom` after any dependency change, then commit the file.
    expect(sbomDrift(bom, lock, pkg)).toEqual({ missing: [], extra: [], rootProblem: undefined });
    expect(sbomPackages(bom).size).toBe(lockProductionPackages(lock).size);
  });

  it('gives every component a purl naming the same package and version', async () => {
    const bom = (await readJson('sbom/codex-gateway.cdx.json')) as {
      components: { group?: string; name: string; version: string; purl?: string }[];
    };
    for (const c of bom.components) {
      const name = c.group === undefined ? c.name : `${c.group}/${c.name}`;
      expect(decodeURIComponent(c.purl ?? '')).toBe(`pkg:npm/${name}@${c.version}`);
    }
  });
});

describe('lockProductionPackages', () => {
  it('keeps production entries, nested ones and aliases, and drops dev entries', () => {
    const lock = {
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/@s/c': { version: '3.0.0' },
        'node_modules/alias': { name: 'real', version: '4.0.0' },
        'node_modules/vitest': { version: '4.0.0', dev: true },
      },
    };
    expect([...lockProductionPackages(lock)].sort()).toEqual([
      '@s/c@3.0.0',
      'a@1.0.0',
      'b@2.0.0',
      'real@4.0.0',
    ]);
  });

  it('does not count the real lock file dev tools as production', async () => {
    const prod = lockProductionPackages(await readJson('package-lock.json'));
    for (const name of ['typescript', 'vitest', 'eslint', 'tsx', '@cyclonedx/cyclonedx-npm'])
      expect([...prod].some((p) => p.startsWith(`${name}@`))).toBe(false);
    expect([...prod].some((p) => p.startsWith('hono@'))).toBe(true);
  });
});

describe('sbomDrift', () => {
  const lock = {
    packages: {
      '': {},
      'node_modules/a': { version: '1.0.0' },
      'node_modules/@s/b': { version: '2.0.0' },
    },
  };
  const bom = (components: unknown[], root = { name: 'app', version: '1.0.0' }): unknown => ({
    bomFormat: 'CycloneDX',
    metadata: { component: root },
    components,
  });
  const pkg = { name: 'app', version: '1.0.0' };

  it('reports a missing package, an extra one and a changed version', () => {
    const drift = sbomDrift(
      bom([
        { name: 'a', version: '1.0.1' },
        { group: '@s', name: 'b', version: '2.0.0' },
        { name: 'left-pad', version: '1.3.0' },
      ]),
      lock,
      pkg,
    );
    expect(drift.missing).toEqual(['a@1.0.0']);
    expect(drift.extra).toEqual(['a@1.0.1', 'left-pad@1.3.0']);
  });

  it('reports an SBOM made for another package version', () => {
    const drift = sbomDrift(bom([], { name: 'app', version: '0.9.0' }), { packages: {} }, pkg);
    expect(drift.rootProblem).toMatch(/expected app@1.0.0/);
  });

  it('refuses documents that are not CycloneDX or lock files without packages', () => {
    expect(() => sbomPackages({ spdxVersion: 'SPDX-2.3' })).toThrow(TypeError);
    expect(() => lockProductionPackages({ lockfileVersion: 1, dependencies: {} })).toThrow(
      TypeError,
    );
  });
});

describe('npm run sbom:check', () => {
  it('passes on the repository and fails on a copy whose SBOM lost a component', async () => {
    const ok = await runScript('sbom-check.ts', []);
    expect(ok.code, ok.stderr).toBe(0);

    const dir = await mkdtemp(join(tmpdir(), 'codex-sbom-'));
    try {
      await cp(join(repoRoot, 'package.json'), join(dir, 'package.json'));
      await cp(join(repoRoot, 'package-lock.json'), join(dir, 'package-lock.json'));
      const bom = (await readJson('sbom/codex-gateway.cdx.json')) as { components: unknown[] };
      bom.components = bom.components.slice(1);
      await mkdir(join(dir, 'sbom'));
      await writeFile(join(dir, 'sbom/codex-gateway.cdx.json'), JSON.stringify(bom));
      const stale = await runScript('sbom-check.ts', [dir]);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/missing from SBOM/);
      expect(stale.stderr).toMatch(/npm run sbom/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
