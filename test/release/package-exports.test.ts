import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

describe('package.json exports', () => {
  it.each(['./verify', './client'])('%s maps to a module the build emits, with types', (name) => {
    const target = pkg.exports[name];
    expect(typeof target).toBe('object');
    const { types, default: js } = target as { types: string; default: string };
    // tsconfig.build.json compiles src/** to dist/** with declarations.
    expect(js).toMatch(/^\.\/dist\/.+\.js$/);
    expect(types).toBe(js.replace(/\.js$/, '.d.ts'));
    const source = path.join(repoRoot, js.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    expect(existsSync(source)).toBe(true);
    const build = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8'));
    expect(build.compilerOptions.declaration).toBe(true);
  });
});
