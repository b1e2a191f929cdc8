import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/credentials.js';
import { repoRoot } from '../helpers/paths.js';

describe('npm run build', () => {
  it('leaves the bin (dist/cli/main.js) executable, so `npx codex-gateway` works after every rebuild', () => {
    // The project's real package.json and build script, with a stand-in `tsc` that emits the
    // bin the way tsc does (mode 0644): what is tested is the step after the compiler.
    const dir = tempDir('codex-build-');
    copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
    const bin = path.join(dir, 'node_modules/.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, 'tsc'),
      '#!/bin/sh\nmkdir -p dist/cli\nprintf \'#!/usr/bin/env node\\nconsole.log("bin ran")\\n\' > dist/cli/main.js\nchmod 644 dist/cli/main.js\n',
    );
    chmodSync(path.join(bin, 'tsc'), 0o755);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: 'pipe' });

    const main = path.join(dir, 'dist/cli/main.js');
    expect(statSync(main).mode & 0o777).toBe(0o755);
    const run = spawnSync(main, [], { encoding: 'utf8' }); // through the shebang, as npx does
    expect(run.stdout).toBe('bin ran\n');
  });

  it('is what `npm start` runs first (prestart), so starting never leaves a stale bin', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin['codex-gateway']).toBe('dist/cli/main.js');
    expect(pkg.scripts.prestart).toBe('npm run build');
  });
});
