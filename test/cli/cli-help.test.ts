import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../src/cli/main.js';
import { tempDir } from '../helpers/credentials.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { repoRoot } from '../helpers/paths.js';

const version = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

describe('codex-gateway (the real CLI process)', () => {
  it('--help lists every command with a one-line summary and exits 0', async () => {
    const r = await runCliProcess(['--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS))
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S.*$`, 'm'));
    expect(r.stdout).toContain('--version');
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await runCliProcess(['--version']);
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: `${version}\n` });
  });

  it('an unknown command exits 2 and says which', async () => {
    const r = await runCliProcess(['deploy-everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'deploy-everything'");
  });

  it('serve --help never starts a server: no listening, no data dir, no credentials', async () => {
    const dir = tempDir('codex-serve-help-');
    const r = await runCliProcess(['serve', '--help'], {
      cwd: dir,
      env: { GATEWAY_DATA_DIR: path.join(dir, 'data'), PORT: '0' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('GATEWAY_CLIENTS_FILE');
    expect(r.stdout).not.toMatch(/listening|CODEX_API_KEY=/);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('policy check -h shows help instead of reading a file named -h', async () => {
    const r = await runCliProcess(['policy', 'check', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: codex-gateway policy check [options] FILE');
  });
});

/** Runs the CLI in-process (same code as the bin, minus process start-up) and captures it. */
async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('every command', () => {
  describe.each(Object.keys(COMMANDS))('%s', (name) => {
    it.each(['--help', '-h'])('%s prints usage with one line per option, exit 0', async (flag) => {
      const { command } = await COMMANDS[name]!();
      expect(command.name).toBe(name); // the registry's words are the command's own
      const r = await cli([...name.split(' '), flag]);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out.startsWith(`usage: codex-gateway ${name} `)).toBe(true);
      for (const [option, spec] of Object.entries(command.options)) {
        expect(spec.description).not.toContain('\n');
        expect(r.out).toMatch(new RegExp(`^ +(-\\w, )?--${option}\\b.* {2,}\\S`, 'm'));
      }
      expect(r.out).toMatch(/--help +show this help/);
    });

    it('--help wins over a mistake next to it', async () => {
      expect((await cli([...name.split(' '), '--no-such-option', '--help'])).code).toBe(0);
    });
  });

  it.each([
    [['keygen', '--bogus'], 'unknown option --bogus'],
    [['keygen', '--out'], 'option --out needs a value'],
    [['keygen'], 'missing --out FILE'],
    [['policy', 'check', 'a', 'b'], "unexpected argument 'b'"],
    [['approve', '--url', 'http://a', '--url', 'http://b', 'x'], 'option --url given twice'],
    [['sign', '--path', '/v1/events', '--data', '-h'], 'option --data needs a value'],
    [['audit'], 'missing subcommand'],
  ])('usage error %j exits 2 naming the problem', async (args, problem) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(problem);
    expect(r.err).toContain('--help');
  });

  it('audit --help lists the audit subcommands, exit 0', async () => {
    const r = await cli(['audit', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}audit verify +\S/m);
    expect(r.out).toMatch(/^ {2}audit prove +\S/m);
  });
});
