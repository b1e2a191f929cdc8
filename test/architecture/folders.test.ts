import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { findCycles, folderOf, importsUnder, sourceFiles } from './import-graph.js';

const readText = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

/**
 * The layout rules of docs/architecture.md, checked on the source text so a violation
 * fails CI instead of waiting for a reviewer.
 */
const imports = importsUnder('src');

/** Folder → folders it imports (top-level files of src/ are their own nodes). */
function folderGraph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (i.target === undefined || !i.target.startsWith('src/')) continue;
    const from = folderOf(i.file);
    const to = folderOf(i.target);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  return edges;
}

/** Folders that hold rules and use cases: no web framework, logger, file system or process. */
const PURE = ['gateway', 'signing', 'policy', 'events', 'crypto'];
/** Adapters that live beside their port inside a pure folder (DESIGN.md), named one by one. */
const ADAPTERS = new Set(['src/policy/reloader.ts', 'src/policy/policy-file.ts']);
const FORBIDDEN =
  /^(hono|hono\/.*|@hono\/.*|ioredis|pino|node:fs|node:fs\/promises|fs|node:process|process)$/;

describe('source layout', () => {
  it('has no import cycle between folders of src/', () => {
    expect(findCycles(folderGraph()).map((c) => c.join(' → '))).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself can fail)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it.each(PURE)('keeps %s/ free of hono, ioredis, pino, node:fs and process', (folder) => {
    const bad = imports
      .filter((i) => folderOf(i.file) === folder && !ADAPTERS.has(i.file))
      .filter((i) => FORBIDDEN.test(i.specifier))
      .map((i) => `${i.file}: ${i.specifier}`);
    expect(bad).toEqual([]);
  });

  it('never lets the use cases (gateway/) or the domain reach into http/ or compose', () => {
    const inner = new Set(['gateway', 'quorum', 'policy', 'signing', 'crypto', 'audit', 'replay']);
    const bad = imports
      .filter((i) => inner.has(folderOf(i.file)) && i.target !== undefined)
      .filter((i) => /^src\/(http\/|app\.ts|compose\.ts|main\.ts)/.test(i.target!))
      .map((i) => `${i.file}: ${i.specifier}`);
    expect(bad).toEqual([]);
  });

  it('never touches the global `process` in the pure folders (outside named adapters)', () => {
    // `process.env`/`process.exit` there would hide configuration or lifecycle.
    const bad = sourceFiles('src')
      .filter((f) => PURE.includes(folderOf(f)) && !ADAPTERS.has(f))
      .filter((f) => /\bprocess\.(env|exit|argv|on|stdout|stderr|cwd)\b/.test(readText(f)));
    expect(bad).toEqual([]);
  });
});
