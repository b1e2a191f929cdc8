import fc from 'fast-check';
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/crypto/index.js';
import { compareManifest, formatManifest, parseManifest } from '../../tools/supply/manifest.js';
import { makeArtifact, runScript } from './helpers.js';

const hex = (s: string): string => sha256Hex(s);

describe('parseManifest / formatManifest', () => {
  it('round-trips sorted entries in sha256sum format', () => {
    const entries = [
      { path: 'dist/main.js', sha256: hex('a') },
      { path: 'package.json', sha256: hex('b') },
    ];
    const text = formatManifest([...entries].reverse());
    expect(text).toBe(`${hex('a')}  dist/main.js\n${hex('b')}  package.json\n`);
    expect(parseManifest(text)).toEqual(entries);
  });

  it('refuses paths that leave the artifact root or break the line format', () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'dist/../x', 'a//b', 'a\\b', 'a\rb', './a'])
      expect(() => parseManifest(`${hex('x')}  ${path}\n`)).toThrow(TypeError);
  });

  it('refuses duplicates, bad digests, a missing final newline and empty input', () => {
    expect(() => parseManifest(`${hex('x')}  a\n${hex('y')}  a\n`)).toThrow(/duplicate/);
    expect(() => parseManifest(`${hex('x').toUpperCase()}  a\n`)).toThrow(TypeError);
    expect(() => parseManifest(`${hex('x')} a\n`)).toThrow(TypeError);
    expect(() => parseManifest(`${hex('x')}  a`)).toThrow(/newline/);
    expect(() => parseManifest('')).toThrow(TypeError);
  });

  it('parses whatever it formats (property)', () => {
    const segment = fc
      .stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)
      .filter((s) => s !== '.' && s !== '..');
    const entry = fc.record({
      path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
      sha256: fc.string().map(hex),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { minLength: 1, maxLength: 20, selector: (e) => e.path }),
        (entries) => {
          const parsed = parseManifest(formatManifest(entries));
          return compareManifest(entries, parsed).length === 0 && parsed.length === entries.length;
        },
      ),
    );
  });
});

describe('npm run manifest / manifest:verify', () => {
  let root = '';
  beforeEach(async () => {
    root = await makeArtifact();
    const written = await runScript('manifest.ts', ['write', '--root', root]);
    expect(written.code, written.stderr).toBe(0);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists every artifact file and verifies the untouched tree', async () => {
    const text = await readFile(join(root, 'release/MANIFEST.sha256'), 'utf8');
    expect(parseManifest(text).map((e) => e.path)).toEqual([
      'dist/cli/main.js',
      'dist/crypto/hash.js',
      'dist/main.js',
      'package-lock.json',
      'package.json',
      'policy/policy.json',
    ]);
    const verified = await runScript('manifest.ts', ['verify', '--root', root]);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('fails when one byte of one file changes', async () => {
    const file = join(root, 'dist/crypto/hash.js');
    const content = await readFile(file);
    content[0] = (content[0] ?? 0) ^ 0x01;
    await writeFile(file, content);
    const verified = await runScript('manifest.ts', ['verify', '--root', root]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/changed\s+dist\/crypto\/hash\.js/);
  });

  it('fails when a file is added to dist/ or removed from policy/', async () => {
    await writeFile(join(root, 'dist/backdoor.js'), 'evil()\n');
    await unlink(join(root, 'policy/policy.json'));
    const verified = await runScript('manifest.ts', ['verify', '--root', root]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/unlisted\s+dist\/backdoor\.js/);
    expect(verified.stderr).toMatch(/missing\s+policy\/policy\.json/);
  });

  it('fails when the manifest itself is malformed', async () => {
    await writeFile(join(root, 'release/MANIFEST.sha256'), 'not a manifest\n');
    const verified = await runScript('manifest.ts', ['verify', '--root', root]);
    expect(verified.code).toBe(1);
  });
});
