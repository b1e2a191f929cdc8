import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

/**
 * Issue 11 point 6: what the README's walkthroughs write in the repository root (approver
 * keys, the clients file, the walkthrough's policy, the data directory) is git-ignored,
 * so a user following them cannot commit a secret by accident. The names are read from
 * README.md itself where it writes them.
 */
function filesTheReadmeWrites(): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const names = new Set<string>(['data/audit-log.key', 'data/dev-client.json']);
  for (const m of readme.matchAll(/--out (\S+\.key)\b/g)) names.add(m[1]!);
  for (const m of readme.matchAll(/client add [^\n]*--file (\S+)/g)) names.add(m[1]!);
  for (const m of readme.matchAll(/^cat > (\S+) <</gm)) names.add(m[1]!);
  return [...names];
}

describe('.gitignore', () => {
  it('covers every file the README walkthroughs write in the repository root', () => {
    const names = filesTheReadmeWrites();
    expect(names).toEqual(expect.arrayContaining(['alice.key', 'clients.json']));
    const git = spawnSync('git', ['check-ignore', '--no-index', '--verbose', ...names], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (git.error !== undefined || git.status === 128) {
      // Not a git checkout (an unpacked tarball): check the patterns themselves.
      const ignore = readFileSync(path.join(repoRoot, '.gitignore'), 'utf8').split('\n');
      expect(ignore).toEqual(expect.arrayContaining(['/*.key', '/clients.json', 'data/']));
      return;
    }
    const ignored = git.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t')[1]);
    expect(ignored.sort()).toEqual([...names].sort());
  });

  it('does not hide the files the repository ships', () => {
    const git = spawnSync(
      'git',
      ['check-ignore', '--no-index', 'policy/policy.json', 'test/vectors/README.md', 'README.md'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    if (git.error !== undefined || git.status === 128) return;
    expect(git.stdout).toBe('');
  });
});
