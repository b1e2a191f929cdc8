import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './helpers.js';

/** Write scopes a job may hold, by workflow file and job name; everything else is read-only. */
const ALLOWED_WRITES: Record<string, Record<string, string[]>> = {
  'codeql.yml': { analyze: ['security-events'] },
  'release.yml': { publish: ['contents'] },
};

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  permissions?: unknown;
  steps?: Step[];
  services?: Record<string, { image?: string }>;
  needs?: unknown;
}
interface Workflow {
  on?: unknown;
  permissions?: unknown;
  jobs?: Record<string, Job>;
}

/**
 * Every way a workflow file breaks the supply-chain rules: actions not pinned to a full
 * commit SHA with a version comment, missing or broad `permissions`, write scopes outside
 * the allowed list, checkouts that keep the token on disk, `pull_request_target`, secrets
 * or event fields expanded inside shell scripts, unpinned service images.
 */
function workflowProblems(file: string, text: string): string[] {
  const doc = parse(text) as Workflow;
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
    if (m === null) continue;
    const [, ref = '', rest = ''] = m;
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref))
      problems.push(`${ref}: not pinned to a 40-hex commit SHA`);
    if (!/^\s+# v\d+(\.\d+)*\s*$/.test(rest))
      problems.push(`${ref}: no "# vX.Y.Z" version comment`);
  }
  if (JSON.stringify(doc.on ?? {}).includes('pull_request_target'))
    problems.push('pull_request_target trigger');
  const top = doc.permissions;
  if (typeof top !== 'object' || top === null) problems.push('no top-level permissions map');
  else if (Object.values(top).some((v) => v !== 'read' && v !== 'none'))
    problems.push('top-level permissions grant write');
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const perms = job.permissions;
    if (typeof perms !== 'object' || perms === null) {
      problems.push(`job ${name}: no explicit permissions map`);
      continue;
    }
    const allowed = ALLOWED_WRITES[file]?.[name] ?? [];
    for (const [scope, level] of Object.entries(perms as Record<string, unknown>)) {
      if (level === 'write' && !allowed.includes(scope))
        problems.push(`job ${name}: ${scope}: write not allowed`);
      else if (level !== 'write' && level !== 'read' && level !== 'none')
        problems.push(`job ${name}: ${scope}: ${String(level)}`);
    }
    for (const [svc, def] of Object.entries(job.services ?? {}))
      if (!/:[0-9]+\.[0-9]+\.[0-9]+[\w.-]*(@sha256:[0-9a-f]{64})?$/.test(def.image ?? ''))
        problems.push(`job ${name}: service ${svc} image not pinned to an exact version`);
    for (const step of job.steps ?? []) {
      if (
        step.uses?.startsWith('actions/checkout@') &&
        step.with?.['persist-credentials'] !== false
      )
        problems.push(`job ${name}: checkout without persist-credentials: false`);
      if (step.run !== undefined && /\$\{\{\s*(secrets\.|github\.event\.|inputs\.)/.test(step.run))
        problems.push(`job ${name}: secret or event data expanded inside a run script`);
    }
  }
  return problems;
}

async function load(file: string): Promise<{ text: string; doc: Workflow }> {
  const text = await readFile(join(repoRoot, '.github/workflows', file), 'utf8');
  return { text, doc: parse(text) as Workflow };
}

const runs = (doc: Workflow, job: string): string =>
  (doc.jobs?.[job]?.steps ?? []).map((s) => s.run ?? '').join('\n');

describe('.github/workflows', () => {
  it.each(['ci.yml', 'codeql.yml', 'release.yml'])(
    '%s pins actions by SHA and keeps least privilege',
    async (file) => {
      const { text } = await load(file);
      expect(workflowProblems(file, text)).toEqual([]);
    },
  );

  it('ci.yml installs from the frozen lock without scripts and runs every gate', async () => {
    const { doc } = await load('ci.yml');
    const all = `${runs(doc, 'test')}\n${runs(doc, 'audit')}`;
    expect(all).toMatch(/npm ci --ignore-scripts/);
    expect(all).not.toMatch(/npm install/);
    for (const command of [
      'format:check',
      'lint',
      'typecheck',
      'build',
      'npm test',
      'sbom:check',
      'manifest:verify',
      'audit:gate',
      'docker-runtime-repro.sh',
    ])
      expect(all).toContain(command);
    expect(doc.jobs?.test?.services?.redis?.image).toMatch(/^redis:/);
    expect(all).not.toMatch(/--offline/);
  });

  it('codeql.yml analyses JavaScript/TypeScript', async () => {
    const { text } = await load('codeql.yml');
    expect(text).toMatch(/github\/codeql-action\/init@[0-9a-f]{40}/);
    expect(text).toMatch(/github\/codeql-action\/analyze@[0-9a-f]{40}/);
    expect(text).toMatch(/languages: javascript-typescript/);
  });

  it('release.yml builds, manifests, signs and verifies with a read-only token, then publishes', async () => {
    const { doc } = await load('release.yml');
    const build = runs(doc, 'build');
    for (const command of [
      'npm ci --ignore-scripts',
      'npm run build',
      'sbom:check',
      'audit:gate',
      'npm run manifest',
      'npm run provenance',
      '--require-existing-key',
      'provenance verify',
    ])
      expect(build).toContain(command);
    expect(doc.jobs?.build?.permissions).toEqual({ contents: 'read' });
    expect(doc.jobs?.publish?.needs).toBe('build');
    expect(runs(doc, 'publish')).toMatch(/^gh release create/m);
  });
});

describe('workflowProblems', () => {
  it('catches tag pins, missing comments, broad permissions and persisted credentials', () => {
    const bad = [
      'on: { pull_request_target: {} }',
      'permissions: write-all',
      'jobs:',
      '  build:',
      '    permissions: { contents: write }',
      '    services: { redis: { image: "redis:latest" } }',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020',
      '      - run: echo "${{ github.event.issue.title }}"',
    ].join('\n');
    const problems = workflowProblems('ci.yml', bad);
    for (const expected of [
      'actions/checkout@v4: not pinned to a 40-hex commit SHA',
      'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020: no "# vX.Y.Z" version comment',
      'pull_request_target trigger',
      'no top-level permissions map',
      'job build: contents: write not allowed',
      'job build: service redis image not pinned to an exact version',
      'job build: checkout without persist-credentials: false',
      'job build: secret or event data expanded inside a run script',
    ])
      expect(problems).toContain(expected);
  });
});
