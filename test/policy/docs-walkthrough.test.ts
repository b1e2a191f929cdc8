import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/credentials.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Runs the walkthrough of docs/policy.md ("Testing a policy") through the real CLI, so the
 * documentation cannot drift: `<!-- walkthrough: file X -->` writes the next code block to
 * X, `<!-- walkthrough: run -->` runs the next `npx codex-gateway …` line, and
 * `<!-- walkthrough: output exit=N -->` is its exact output and exit code (a revision hash
 * is written `sha256:…`). It runs in a scratch copy of the repository's policy folder.
 */

interface Step {
  readonly kind: 'file' | 'run' | 'output';
  readonly arg: string;
  readonly block: string;
}

function walkthrough(): Step[] {
  const text = readFileSync(path.join(repoRoot, 'docs/policy.md'), 'utf8');
  const re = /<!-- walkthrough: (file|run|output)\s*([^>]*?)\s*-->\s*\n+```[a-z]*\n([\s\S]*?)```/g;
  return [...text.matchAll(re)].map((m) => ({
    kind: m[1] as Step['kind'],
    arg: m[2]!,
    block: m[3]!,
  }));
}

describe('docs/policy.md walkthrough', () => {
  it('has file, run and output steps', () => {
    const kinds = walkthrough().map((s) => s.kind);
    expect(kinds.filter((k) => k === 'run').length).toBeGreaterThanOrEqual(2);
    expect(kinds.filter((k) => k === 'output').length).toBe(
      kinds.filter((k) => k === 'run').length,
    );
  });

  it('produces exactly the documented output through the real CLI', async () => {
    const dir = tempDir('codex-docs-');
    mkdirSync(path.join(dir, 'policy/tests'), { recursive: true });
    copyFileSync(path.join(repoRoot, 'policy/policy.json'), path.join(dir, 'policy/policy.json'));
    let last: { code: number | null; stdout: string } | undefined;
    for (const step of walkthrough()) {
      if (step.kind === 'file') {
        writeFileSync(path.join(dir, step.arg), step.block);
      } else if (step.kind === 'run') {
        const line = step.block.trim();
        expect(line).toMatch(/^npx codex-gateway /);
        const args = line.replace(/^npx codex-gateway /, '').split(/\s+/);
        const run = await runCliProcess(args, { cwd: dir, timeoutMs: 60_000 });
        expect(run.stderr).toBe('');
        last = run;
      } else {
        const exit = Number(/exit=(\d+)/.exec(step.arg)?.[1] ?? 0);
        expect(last, 'an output step follows a run step').toBeDefined();
        expect(last!.stdout.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…')).toBe(step.block);
        expect(last!.code).toBe(exit);
        last = undefined;
      }
    }
  }, 120_000);
});
