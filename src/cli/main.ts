#!/usr/bin/env node
/** `codex-gateway` command line: thin wrappers over the same modules the server uses. */
import { isEntryPoint } from '../entry-point.js';
import type { CliIo } from './io.js';
import { terminalSafeIo } from './render.js';

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

/** Subcommands by their words; each module is loaded only when its command runs. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => async () => {
    const { serve } = await import('../main.js');
    await serve();
    return -1; // keeps running; the server exits the process itself
  },
  'client add': async () => (await import('./client-add.js')).clientAddCommand,
  'policy check': async () => (await import('./policy-check.js')).policyCheckCommand,
  sign: async () => (await import('./sign.js')).signCommand,
  keygen: async () => (await import('./keygen.js')).keygenCommand,
  approve: async () => (await import('./approve.js')).approveCommand,
  audit: async () => async (args, io) => (await import('./audit.js')).auditCommand([...args], io),
  'deploy wait': async () => (await import('./deploy-wait.js')).deployWaitCommand,
  'deploy attestation': async () =>
    (await import('./deploy-attestation.js')).deployAttestationCommand,
  'release verify': async () => (await import('./release-verify.js')).releaseVerifyCommand,
  provenance: async () => async (args, io) =>
    (await import('./provenance.js')).provenanceCommand([...args], io),
};

const HELP = `codex-gateway — signed-webhook policy gateway
commands:
  ${Object.keys(COMMANDS).join('\n  ')}
`;

/** Runs the command named by the leading words of `argv`; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const load = COMMANDS[name];
    if (load !== undefined) {
      try {
        return await (
          await load()
        )(argv.slice(words), io);
      } catch (err) {
        io.err(`codex-gateway ${name}: ${(err as Error).message}\n`);
        return 1;
      }
    }
  }
  io.err(HELP);
  return argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' ? 0 : 2;
}

const consoleIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  prompt: async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

if (isEntryPoint(import.meta.url)) {
  // Every byte the CLI writes passes terminalSafe: no control character reaches the terminal.
  const code = await runCli(process.argv.slice(2), terminalSafeIo(consoleIo));
  if (code >= 0) process.exitCode = code;
}
