import {
  chmodSync,
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/credentials.js';
import {
  expectOneFailedLine,
  runCli,
  sendJson,
  startCli,
  startServer,
  type SeenRequest,
  type TestServer,
} from './cli-process.js';
import { decisionEntry, forgedLog, logKey, type ForgedLog } from './forged-log.js';

/**
 * The auditor's state file (`audit verify --state`) through the real CLI process: two
 * concurrent runs on two forks of a log, links planted at the state and lock names,
 * files and directories writable by others, a writer that ignores the lock.
 */

const API_KEY = 'ak_state_test_key_0123456789';
const key = logKey();
// Two forks of one log, both signed with the real key: same size, different roots.
const forkA = forgedLog(key, decisionEntry('acme/web'));
const forkB = forgedLog(key, decisionEntry('acme/other'));

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/**
 * Serves `log`'s checkpoint. `beforeAnswer` runs when the checkpoint request arrives and
 * the answer waits for the promise it returns.
 */
async function gateway(
  log: ForgedLog,
  beforeAnswer: (req: SeenRequest) => Promise<void> = () => Promise.resolve(),
) {
  const s = await startServer((req, res: ServerResponse) => {
    if (req.url !== '/v1/audit/checkpoint') return sendJson(res, 404, { code: 'not_found' });
    void beforeAnswer(req).then(() => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(log.note);
    });
  });
  servers.push(s);
  return s;
}

const args = (url: string, state: string) => [
  'audit',
  'verify',
  '--url',
  url,
  '--api-key',
  API_KEY,
  '--vkey',
  key.vkey,
  '--state',
  state,
];

function stateDir(): string {
  const dir = tempDir('codex-auditor-');
  chmodSync(dir, 0o700);
  return dir;
}

describe('audit verify --state', { timeout: 120_000 }, () => {
  it('two concurrent runs on two forks cannot both succeed; the fork is caught after', async () => {
    const state = path.join(stateDir(), 'state.json');
    // Fork A's gateway holds its answer until released, so run A holds the state meanwhile.
    let arrivedA!: () => void;
    const arrived = new Promise<void>((resolve) => (arrivedA = resolve));
    let releaseA!: () => void;
    const released = new Promise<void>((resolve) => (releaseA = resolve));
    const a = await gateway(forkA, () => {
      arrivedA();
      return released;
    });
    const b = await gateway(forkB);

    const runA = startCli(args(a.url, state));
    await arrived;
    const runB = await runCli(args(b.url, state));
    releaseA();
    const resultA = await runA.done;

    expect(resultA.code, resultA.stderr).toBe(0);
    const lineB = expectOneFailedLine(runB, 'audit verify: FAILED:');
    expect(lineB).toContain('is in use by another audit verify run');
    expect(b.seen).toHaveLength(0); // B never even fetched its fork
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ checkpoint: forkA.note });

    // Run again, B's fork is now compared with A's saved head: caught, state kept.
    const again = await runCli(args(b.url, state));
    expect(expectOneFailedLine(again, 'audit verify: FAILED:')).toContain(
      'now has a different root (fork)',
    );
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ checkpoint: forkA.note });
    expect(existsSync(`${state}.lock`)).toBe(false);
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(state))).toEqual(['state.json']);
  });

  it('refuses a symlinked state file and leaves the link and its target alone', async () => {
    const dir = stateDir();
    const real = path.join(dir, 'real.json');
    const a = await gateway(forkA);
    expect((await runCli(args(a.url, real))).code).toBe(0);
    const before = readFileSync(real, 'utf8');
    const link = path.join(dir, 'link.json');
    symlinkSync(real, link);

    const run = await runCli(args(a.url, link));
    expect(expectOneFailedLine(run, 'audit verify: FAILED:')).toContain('is a symbolic link');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(before);
  });

  it('a link planted at the lock name is never followed', async () => {
    const dir = stateDir();
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n', { mode: 0o600 });
    const state = path.join(dir, 'state.json');
    symlinkSync(victim, `${state}.lock`);
    const a = await gateway(forkA);

    const run = await runCli(args(a.url, state));
    expectOneFailedLine(run, 'audit verify: FAILED:');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(state)).toBe(false);
  });

  it('refuses a state file or directory that others can write', async () => {
    const a = await gateway(forkA);
    const dir = stateDir();
    const state = path.join(dir, 'state.json');
    expect((await runCli(args(a.url, state))).code).toBe(0);

    chmodSync(state, 0o666);
    const open = await runCli(args(a.url, state));
    expect(expectOneFailedLine(open, 'audit verify: FAILED:')).toContain(
      'is writable by group or others',
    );
    chmodSync(state, 0o600);

    chmodSync(dir, 0o777);
    const openDir = await runCli(args(a.url, state));
    expect(expectOneFailedLine(openDir, 'audit verify: FAILED:')).toContain(
      'directory of state file',
    );
    chmodSync(dir, 0o700);
    expect((await runCli(args(a.url, state))).code).toBe(0);
  });

  it('does not overwrite a state file changed by a writer that ignores the lock', async () => {
    const state = path.join(stateDir(), 'state.json');
    const a = await gateway(forkA);
    expect((await runCli(args(a.url, state))).code).toBe(0);
    // While the run waits for the checkpoint, something rewrites the state file.
    const edited = `${readFileSync(state, 'utf8').trimEnd()}\n\n`;
    const sneaky = await gateway(forkA, () => {
      writeFileSync(state, edited);
      return Promise.resolve();
    });
    const run = await runCli(args(sneaky.url, state));
    expect(expectOneFailedLine(run, 'audit verify: FAILED:')).toContain(
      'changed during this run; not overwritten',
    );
    expect(readFileSync(state, 'utf8')).toBe(edited);
  });
});
