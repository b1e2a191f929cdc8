import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}
interface Stage {
  readonly image: string;
  readonly name: string;
  readonly body: Instruction[];
}

/** Dockerfile → instructions (continuations joined, comments dropped), grouped by stage. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest };
    if (instruction.op === 'FROM') {
      const [, ref = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      const image = ref.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_m, a?: string, b?: string) => args.get(a ?? b ?? '') ?? '',
      );
      stages.push({ image, name, body: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [, key = '', value = ''] = /^(\w+)=(.*)$/.exec(rest) ?? [];
      args.set(key, value);
    } else stages.at(-1)?.body.push(instruction);
  }
  return { args, stages };
}

/** Every way the Dockerfile breaks the image rules of issue #7. */
function dockerfileProblems(text: string): string[] {
  const { stages } = parseDockerfile(text);
  const problems: string[] = [];
  const all = stages.flatMap((s) => s.body);
  const final = stages.at(-1);
  if (stages.length < 2 || final === undefined) return ['not multi-stage'];
  for (const s of stages) {
    if (/:latest\b/.test(s.image) || !s.image.includes(':'))
      problems.push(`${s.name}: base image not pinned`);
    if (!/^node:20\.\d+\.\d+-[\w.-]+@sha256:[0-9a-f]{64}$/.test(s.image))
      problems.push(`${s.name}: base must be node:20.x.y-<variant>@sha256:<digest>`);
  }
  if (all.some((i) => i.op === 'ADD' && /(https?|git|ftp):\/\/|git@/.test(i.args)))
    problems.push('ADD of a URL');
  const runs = (s: Stage): string =>
    s.body
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
  const build = stages.find((s) => /npm run build/.test(runs(s)));
  if (build === undefined || build === final) problems.push('no separate build stage');
  else if (!/npm ci --ignore-scripts/.test(runs(build)))
    problems.push('build stage: npm ci without --ignore-scripts');
  if (!/npm ci --omit=dev --ignore-scripts/.test(runs(final)))
    problems.push('runtime: not a production-only install');
  if (/npm (install|i) /.test(runs(final))) problems.push('runtime: npm install instead of npm ci');
  const users = final.body.filter((i) => i.op === 'USER').map((i) => i.args);
  if (users.at(-1) !== '65532:65532') problems.push('runtime: last USER is not 65532:65532');
  const lastUser = final.body.findLastIndex((i) => i.op === 'USER');
  if (final.body.slice(lastUser + 1).some((i) => i.op === 'RUN'))
    problems.push('runtime: RUN after USER');
  if (!final.body.some((i) => i.op === 'VOLUME' && i.args.includes('/data')))
    problems.push('runtime: no /data volume');
  if (!/chown 65532:65532 \/data/.test(runs(final)))
    problems.push('runtime: /data not owned by 65532');
  const env = final.body
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  if (!/GATEWAY_DATA_DIR=\/data\b/.test(env))
    problems.push('runtime: GATEWAY_DATA_DIR is not /data');
  const port = /\bPORT=(\d+)/.exec(env)?.[1];
  if (
    port === undefined ||
    !final.body.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes(port))
  )
    problems.push('runtime: EXPOSE does not match PORT');
  if (!final.body.some((i) => i.op === 'HEALTHCHECK' && i.args.includes('/healthz')))
    problems.push('runtime: no HEALTHCHECK on /healthz');
  for (const i of all.filter((x) => x.op === 'ENV' || x.op === 'ARG'))
    if (/(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE)/i.test(i.args))
      problems.push(`secret-like ${i.op}: ${i.args}`);
  for (const i of all.filter((x) => x.op === 'COPY' || x.op === 'ADD'))
    if (/(\.env\b|\.key\b|\.pem\b|clients\.json|id_rsa)/.test(i.args))
      problems.push(`copies a secret-like file: ${i.args}`);
  if (
    build !== undefined &&
    !final.body.some(
      (i) =>
        i.op === 'COPY' && i.args.startsWith(`--from=${build.name} `) && /\/dist\s/.test(i.args),
    )
  )
    problems.push('runtime: dist/ is not copied from the build stage');
  const cmd = final.body.filter((i) => i.op === 'CMD').at(-1)?.args ?? '';
  if (!/^\["node",\s*"dist\/[\w/.-]+\.js"\]$/.test(cmd))
    problems.push('runtime: CMD is not ["node", "dist/<file>.js"]');
  return problems;
}

describe('Dockerfile (static checks; no Docker engine runs here)', () => {
  let text = '';
  beforeAll(async () => {
    text = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
  });

  it('follows every image rule: stages, pinned base, non-root user, /data volume, healthcheck, no secrets', () => {
    expect(dockerfileProblems(text)).toEqual([]);
  });

  it('starts a file the build produces: CMD dist/X.js comes from src/X.ts under tsconfig.build.json', async () => {
    const { stages } = parseDockerfile(text);
    const cmd = JSON.parse(
      stages
        .at(-1)
        ?.body.filter((i) => i.op === 'CMD')
        .at(-1)?.args ?? '[]',
    ) as string[];
    const built = cmd[1] ?? '';
    const tsconfig = JSON.parse(await readFile(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(built.startsWith(`${tsconfig.compilerOptions.outDir}/`)).toBe(true);
    const source = built
      .replace(tsconfig.compilerOptions.outDir, tsconfig.compilerOptions.rootDir)
      .replace(/\.js$/, '.ts');
    expect(existsSync(join(repoRoot, source)), `${source} must exist`).toBe(true);
    // The build stage copies the sources and both tsconfig files it compiles with.
    const copies =
      stages[0]?.body
        .filter((i) => i.op === 'COPY')
        .map((i) => i.args)
        .join('\n') ?? '';
    expect(copies).toMatch(/\bsrc\b/);
    expect(copies).toMatch(/tsconfig\.build\.json/);
  });

  it('has a deny-all .dockerignore that admits exactly what the Dockerfile copies', async () => {
    const ignore = (await readFile(join(repoRoot, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim());
    const rules = ignore.filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const allowed = rules
      .filter((r) => r.startsWith('!'))
      .map((r) => r.slice(1).replace(/\/(\*\*)?$/, ''));
    const { stages } = parseDockerfile(text);
    const sources = stages
      .flatMap((s) => s.body)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const src of sources)
      expect(allowed, `${src} must be admitted`).toContain(src.replace(/\/$/, ''));
    expect(rules).toContain('**/.env');
  });

  describe('the checker itself', () => {
    it.each([
      [
        'a floating base image',
        (t: string) => t.replace(/ARG NODE_IMAGE=\S+/, 'ARG NODE_IMAGE=node:latest'),
        'base image not pinned',
      ],
      [
        'root at run time',
        (t: string) => t.replace('USER 65532:65532', 'USER root'),
        'last USER is not 65532:65532',
      ],
      [
        'an ADD of a URL',
        (t: string) => `${t}\nADD https://example.com/x.tgz /x.tgz\n`,
        'ADD of a URL',
      ],
      [
        'a dev install',
        (t: string) => t.replace('npm ci --omit=dev --ignore-scripts', 'npm ci'),
        'runtime: not a production-only install',
      ],
      [
        'a baked secret',
        (t: string) =>
          t.replace('ENV NODE_ENV=production', 'ENV API_TOKEN=abc NODE_ENV=production'),
        'secret-like ENV',
      ],
      [
        'a CMD on a source file',
        (t: string) =>
          t.replace('CMD ["node", "dist/main.js"]', 'CMD ["npx", "tsx", "src/main.ts"]'),
        'CMD is not',
      ],
      [
        'no healthcheck',
        (t: string) => t.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''),
        'no HEALTHCHECK',
      ],
    ])('reports %s', (_name, mutate, expected) => {
      const problems = dockerfileProblems(mutate(text));
      expect(
        problems.some((p) => p.includes(expected)),
        problems.join('; '),
      ).toBe(true);
    });
  });
});
