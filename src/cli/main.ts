#!/usr/bin/env node
/**
 * `codex-gateway` command line: thin wrappers over the same modules the server uses.
 *
 * Adding a command takes one file and one line:
 *  1. `src/cli/<name>.ts` exports `command: CliCommand` (see ./command.ts): its words, a
 *     one-line summary, its options with one-line descriptions, and `run`. The runner
 *     parses with Node's `util.parseArgs`, answers `--help`/`-h` and usage errors (exit 2).
 *  2. One line in COMMANDS below: `'<words>': () => import('./<name>.js'),`.
 * test/cli/cli-help.test.ts then checks its help and that the words match.
 */
import { readFileSync } from 'node:fs';
import { isEntryPoint } from '../entry-point.js';
import { runCommand, type CliCommand } from './command.js';
import { consoleIo } from './console-io.js';
import type { CliIo } from './io.js';
import { terminalSafeIo } from './render.js';

type CommandModule = { command: CliCommand };

/** Subcommands by their words; a module is loaded only when it runs or help lists it. */
export const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  serve: () => import('./serve.js'),
  keygen: () => import('./keygen.js'),
  'client add': () => import('./client-add.js'),
  'policy check': () => import('./policy-check.js'),
  'policy test': () => import('./policy-test.js'),
  sign: () => import('./sign.js'),
  approve: () => import('./approve.js'),
  'audit verify': () => import('./audit.js').then((m) => ({ command: m.auditVerify })),
  'audit prove': () => import('./audit.js').then((m) => ({ command: m.auditProve })),
  'deploy wait': () => import('./deploy-wait.js'),
  'deploy attestation': () => import('./deploy-attestation.js'),
  'release verify': () => import('./release-verify.js'),
  'deliveries list': () => import('./deliveries.js').then((m) => ({ command: m.deliveriesList })),
  'deliveries retry': () => import('./deliveries.js').then((m) => ({ command: m.deliveriesRetry })),
  'provenance verify': () => import('./provenance.js'),
};

/** The package version, read from package.json (two levels up in src/ and in dist/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The top-level help: every command with its one-line summary (only `prefix` ones if given). */
async function overview(prefix?: string): Promise<string> {
  const names = Object.keys(COMMANDS).filter(
    (n) => prefix === undefined || n.startsWith(`${prefix} `),
  );
  const rows = await Promise.all(
    names.map(async (n) => [n, (await COMMANDS[n]!()).command.summary] as const),
  );
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  return [
    `codex-gateway ${packageVersion()} — signed-webhook policy gateway`,
    '',
    `usage: codex-gateway ${prefix ?? '<command>'}${prefix === undefined ? '' : ' <subcommand>'} [options]`,
    '       codex-gateway <command> --help    options of one command',
    ...(prefix === undefined ? ['       codex-gateway --version'] : []),
    '',
    'commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}${s}`),
    '',
  ].join('\n');
}

/** Runs the command named by the leading words of `argv`; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, second] = argv;
  if (first === '--version' || first === '-v') {
    io.out(`${packageVersion()}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h') {
    io.out(await overview());
    return 0;
  }
  if (first === 'help' && argv.length <= 3) return runCli([...argv.slice(1), '--help'], io);
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const load = COMMANDS[name];
    if (load === undefined) continue;
    const { command } = await load();
    try {
      return await runCommand(command, argv.slice(words), io);
    } catch (err) {
      io.err(`codex-gateway ${name}: ${(err as Error).message.split('\n')[0]}\n`);
      return 1;
    }
  }
  // A group word alone (`audit`, `audit --help`) lists that group's subcommands.
  if (Object.keys(COMMANDS).some((n) => n.startsWith(`${first} `))) {
    const asked = second === '--help' || second === '-h';
    if (!asked)
      io.err(
        `codex-gateway ${first}: ${second === undefined ? 'missing' : `unknown`} subcommand\n`,
      );
    const text = await overview(first);
    if (asked) io.out(text);
    else io.err(text);
    return asked ? 0 : 2;
  }
  io.err(`codex-gateway: unknown command '${first}'\n`);
  io.err(await overview());
  return 2;
}

if (isEntryPoint(import.meta.url)) {
  // Every byte the CLI writes passes terminalSafe: no control character reaches the terminal.
  const code = await runCli(process.argv.slice(2), terminalSafeIo(consoleIo()));
  if (code >= 0) process.exitCode = code;
}
