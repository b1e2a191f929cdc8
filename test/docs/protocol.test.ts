import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

/**
 * Issue 11 point 1: the repository carries its own description of the wire format,
 * docs/protocol.md, and every reference to it resolves. Nothing points at a contract file
 * a clone does not have.
 */
const protocol = readFileSync(path.join(repoRoot, 'docs/protocol.md'), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}
const anchors = new Set([...protocol.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
const sections = new Map(
  [...protocol.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => [
    Number(m[1]),
    slug(`${m[1]}. ${m[2]}`),
  ]),
);

/** Every text file of the places a reader or a contributor looks. */
function projectFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(repoRoot, dir))) {
      const rel = path.join(dir, name);
      if (statSync(path.join(repoRoot, rel)).isDirectory()) {
        if (rel !== path.join('test', 'vectors')) walk(rel);
      } else if (/\.(ts|mjs|md|json|sh)$/.test(name)) out.push(rel);
    }
  };
  for (const dir of ['src', 'test', 'docs', 'bench', 'tools', 'policy']) walk(dir);
  return [...out, 'README.md', 'SECURITY.md', 'SECURITY_SUMMARY.md'].filter((f) =>
    existsSync(path.join(repoRoot, f)),
  );
}

/** The folder beside the clone that a user's fresh clone does not have (spelled so this file does not name it). */
const OUTSIDE_DIR = ['..', 'shared'].join('/');

describe('docs/protocol.md', () => {
  it('has sections §0–§16', () => {
    expect([...sections.keys()]).toEqual(Array.from({ length: 17 }, (_, i) => i));
  });

  it('names, for every section, what is built; every source file it cites exists', () => {
    const table = protocol.slice(protocol.indexOf('## What is built'), protocol.indexOf('## 0.'));
    const rows = table.split('\n').filter((l) => /^\| \[\d+\]\(#/.test(l));
    expect(rows).toHaveLength(17);
    for (const row of rows) {
      const anchor = /\]\(#([^)]+)\)/.exec(row)![1]!;
      expect(anchors.has(anchor), `${anchor} is not a heading`).toBe(true);
      expect(row).toMatch(/\| (built|partly built|planned)\b/);
      for (const m of row.matchAll(/`(src\/[^`]+)`/g)) {
        const cited = m[1]!.replace(/,$/, '');
        expect(existsSync(path.join(repoRoot, cited)), `${cited} cited in docs/protocol.md`).toBe(
          true,
        );
      }
    }
  });
});

describe('references to the protocol', () => {
  const files = projectFiles();
  it('no page, source comment, script or schema refers to a PROTOCOL file outside the repository', () => {
    const offenders: string[] = [];
    for (const f of files) {
      if (f === path.join('test', 'docs', 'protocol.test.ts')) continue;
      const text = readFileSync(path.join(repoRoot, f), 'utf8');
      // OpenSSH's own PROTOCOL.sshsig / PROTOCOL.u2f are cited by name, rightly.
      for (const m of text.matchAll(/PROTOCOL(?!\.sshsig|\.u2f)[ .§]\S*/g))
        offenders.push(`${f}: ${m[0]}`);
      if (text.includes(OUTSIDE_DIR)) offenders.push(`${f}: ${OUTSIDE_DIR}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every "docs/protocol.md §N" and every link into protocol.md lands on a heading', () => {
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(repoRoot, f), 'utf8');
      for (const m of text.matchAll(/protocol\.md §(\d+)/g))
        if (!sections.has(Number(m[1]))) broken.push(`${f}: ${m[0]}`);
      for (const m of text.matchAll(/protocol\.md#([\w-]+)/g))
        if (!anchors.has(m[1]!)) broken.push(`${f}: ${m[0]}`);
    }
    expect(broken).toEqual([]);
  });
});
