import type { CliIo } from './io.js';

/**
 * The process's terminal as a CliIo. `prompt` exists only when stdin AND stderr are
 * terminals: a confirmation must come from a person, so text piped into stdin (`yes |`)
 * is never taken as an answer, and commands that need consent refuse instead.
 */
export function consoleIo(): CliIo {
  const io: CliIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return io;
  return {
    ...io,
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
}
