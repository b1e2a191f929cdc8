import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** One import of a source file: the file, its folder node, and what it names. */
export interface SourceImport {
  /** Path relative to the repository, e.g. `src/gateway/decide-event.ts`. */
  readonly file: string;
  /** The module text, e.g. `../audit/entry.js` or `hono`. */
  readonly specifier: string;
  /** For relative imports: the imported file relative to the repository. */
  readonly target?: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

/** Every `.ts` file under `dir` (relative to the repository), recursively. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(repoRoot, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts')) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** The static and dynamic imports of every file under `dir`. */
export function importsUnder(dir: string): SourceImport[] {
  const result: SourceImport[] = [];
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const specifier = m[1] ?? m[2] ?? '';
      if (!specifier.startsWith('.')) {
        result.push({ file, specifier });
        continue;
      }
      const target = path.posix
        .normalize(path.posix.join(path.posix.dirname(file), specifier))
        .replace(/\.js$/, '.ts');
      result.push({ file, specifier, target });
    }
  }
  return result;
}

/**
 * The folder node of a file under `src/`: its first folder (`src/quorum/x.ts` → `quorum`),
 * or the file itself for files at the top of `src/` (`src/app.ts` → `app.ts`).
 */
export function folderOf(file: string): string {
  return file.split('/')[1] ?? file;
}

/** The cycles of a directed graph (each reported once, as the node path that closes it). */
export function findCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
