import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/credentials.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Issue 11 point 7: the README's walkthrough (quick start → signed request → approval →
 * audit verify) runs as written, through the real CLI against a real gateway process.
 * The commands are read from README.md itself: every ```sh block right after a
 * `<!-- tested: server -->` or `<!-- tested: client -->` marker. Only what a reader does
 * by hand is stood in for:
 *   - `npx codex-gateway …` and `npm start` run the sources through tsx (no build needed);
 *   - the gateway listens on a free port instead of 8787 (tests run side by side);
 *   - the `export CODEX_API_KEY=cgk_… …` line is replaced by the export lines the gateway
 *     printed, as the reader pastes them.
 * Everything runs in an empty temp folder with its own HOME.
 */

interface Blocks {
  readonly server: string;
  readonly client: string;
}

function readmeBlocks(): Blocks {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const found: Record<'server' | 'client', string[]> = { server: [], client: [] };
  for (const m of readme.matchAll(/<!-- tested: (server|client) -->\s*```sh\n([\s\S]*?)```/g))
    found[m[1] as 'server' | 'client'].push(m[2]!);
  return { server: found.server.join('\n'), client: found.client.join('\n') };
}

const TSX = import.meta.resolve('tsx');

/** `npx codex-gateway` and `npm start` as the README means them, from the sources. */
const SHIMS = `
npx() {
  if [ "$1" = codex-gateway ]; then shift; node --import "$TSX" "$REPO/src/cli/main.ts" "$@"
  else echo "unexpected npx $*" >&2; return 99; fi
}
npm() {
  if [ "$1" = start ]; then exec node --import "$TSX" "$REPO/src/main.ts"
  else echo "unexpected npm $*" >&2; return 99; fi
}
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let dir: string;
let port: number;
let server: ChildProcess | undefined;
const serverOutput: string[] = [];
let exportLines: string[] = [];
const blocks = readmeBlocks();

function env(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: path.join(dir, 'home'),
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    REPO: repoRoot,
    TSX,
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
}

beforeAll(async () => {
  dir = tempDir('codex-readme-');
  mkdirSync(path.join(dir, 'home'), { mode: 0o700 });
  port = await freePort();
  const child = spawn('bash', ['-euo', 'pipefail', '-c', SHIMS + blocks.server], {
    cwd: dir,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start:\n${serverOutput.join('')}`)),
      90_000,
    );
    const onData = (chunk: Buffer): void => {
      serverOutput.push(chunk.toString('utf8'));
      if (/"msg":"listening"/.test(serverOutput.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server block exited with ${code}:\n${serverOutput.join('')}`));
    });
  });
  exportLines = serverOutput
    .join('')
    .split('\n')
    .filter((l) => /^ {2}export CODEX_(API_KEY|SIGNING_SECRET)=\S+$/.test(l))
    .map((l) => l.trim());
}, 120_000);

afterAll(async () => {
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('README walkthrough', () => {
  it('has the blocks the test runs, with the reader-facing port and placeholders', () => {
    expect(blocks.server).toMatch(/keygen --out alice\.key/);
    expect(blocks.server).toMatch(/npm start$/m);
    expect(blocks.client).toMatch(/^export CODEX_API_KEY=cgk_… +CODEX_SIGNING_SECRET=cgs_…/m);
    expect(blocks.client).toMatch(/codex-gateway approve /);
    expect(blocks.client).toMatch(/codex-gateway audit verify /);
    expect(blocks.client).toContain('http://127.0.0.1:8787');
  });

  it('the gateway printed ready-to-paste export lines', () => {
    expect(exportLines).toHaveLength(2);
  });

  it('runs quick start → signed request → approval → audit verify as written', () => {
    const script = blocks.client
      .split('\n')
      .flatMap((line) => (/^export CODEX_API_KEY=cgk_…/.test(line) ? exportLines : [line]))
      .join('\n')
      .replaceAll('http://127.0.0.1:8787', `http://127.0.0.1:${port}`);
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', SHIMS + script], {
      cwd: dir,
      env: env(),
      encoding: 'utf8',
      timeout: 240_000,
    });
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.status, all).toBe(0);
    // The signed build event is allowed, by the CLI and by curl + openssl.
    expect(r.stdout).toMatch(/^200 \{"decision":"allow"/m);
    expect(r.stdout).toMatch(/^\{"decision":"allow","id":/m);
    // The deploy was released by two approvers.
    expect(r.stdout).toMatch(/"state":"approved"/);
    expect(r.stdout).toMatch(/"approvedBy":\["alice","bob"\]/);
    // The auditor's check passed.
    expect(r.stdout).toMatch(/^audit verify: OK: /m);
  }, 300_000);

  it('leaves only git-ignored files behind in the working folder', () => {
    const names = readFileSync(path.join(repoRoot, '.gitignore'), 'utf8');
    const made = spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.split('\n');
    for (const f of made.filter((n) => n !== '' && n !== 'home')) {
      const ignored =
        (f.endsWith('.key') && names.includes('/*.key')) ||
        names.split('\n').includes(`/${f}`) ||
        names.split('\n').includes(`${f}/`);
      expect(ignored, `${f} is written by the README but not git-ignored`).toBe(true);
    }
  });
});
