import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainPatterns } from '../../src/policy/explain.js';
import { compilePatternSet } from '../../src/policy/regex/pattern-set.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { tempDir, writePolicyFile } from '../helpers/credentials.js';
import { compileOrThrow } from './fixtures.js';
import { repoRoot } from '../helpers/paths.js';

/** `policy check` explains each deny pattern from its compiled automaton (issue 18 point 4). */

const explain = (patterns: Record<string, string>) => {
  const compiled = compilePatternSet(Object.values(patterns));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return explainPatterns(Object.keys(patterns), compiled.set);
};

describe('policy check: pattern explanations', () => {
  it('prints, for every shipped pattern, an example the shipped policy denies with that rule', async () => {
    const run = await runCliProcess(['policy', 'check', 'policy/policy.json'], {
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/warning/);
    const shipped = JSON.parse(readFileSync(path.join(repoRoot, 'policy/policy.json'), 'utf8')) as {
      deny: { patterns: { name: string }[] };
    };
    const policy = compileOrThrow(shipped);
    for (const { name } of shipped.deny.patterns) {
      const m = new RegExp(`^  deny_pattern:${name} matches e\\.g\\. (".*")$`, 'm').exec(
        run.stdout,
      );
      expect(m, name).not.toBeNull();
      const example = JSON.parse(m![1]!) as string;
      const verdict = policy.evaluate('ci-main', {
        action: 'build',
        target: 'acme/web',
        steps: [{ name: 's', run: example }],
      });
      expect(verdict.reasons, `${name}: ${example}`).toContain(`deny_pattern:${name}`);
    }
  });

  it('gives shortest examples', () => {
    expect(explain({ a: '\\bmkfs\\b', b: 'drop\\s+table', c: '[0-9]{3}x' })).toEqual([
      { name: 'a', example: 'mkfs' },
      { name: 'b', example: 'drop table' },
      { name: 'c', example: '000x' },
    ]);
  });

  it('warns about a pattern that can never match event text', () => {
    for (const regex of ['done$x', 'x^y', '\\x00rm', '[\\x01-\\x08]+', '\\u200brm']) {
      const [e] = explain({ p: regex });
      expect(e!.example, regex).toBeUndefined();
      expect(e!.warning, regex).toMatch(/^can never match/);
    }
  });

  it('warns about a pattern that matches every event', () => {
    // Matching the empty text is refused at load already.
    for (const regex of ['x*', '^', '[^\\n]?'])
      expect(compilePatternSet([regex]).ok, regex).toBe(false);
    for (const regex of ['.', '[\\s\\S]', '\\w|\\W'])
      expect(explain({ p: regex })[0]!.warning, regex).toMatch(
        /matches every text that has a letter/,
      );
    expect(explain({ p: 'a|.' })[0]!.warning).toBeDefined();
    expect(explain({ p: 'a' })[0]!.warning).toBeUndefined();
  });

  it('prints the warnings through the real CLI and keeps exit 0 (the file is valid)', async () => {
    const file = writePolicyFile(tempDir('codex-explain-'), {
      version: 1,
      deny: {
        patterns: [
          { name: 'never', regex: 'done$x' },
          { name: 'all', regex: '.' },
        ],
      },
    });
    const run = await runCliProcess(['policy', 'check', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}warning: deny_pattern:never can never match/m);
    expect(run.stdout).toMatch(/^ {2}deny_pattern:all matches e\.g\. " "$/m);
    expect(run.stdout).toMatch(
      /^ {2}warning: deny_pattern:all matches every text that has a letter/m,
    );
  });
});
