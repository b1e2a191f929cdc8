import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** tsx's loader by absolute URL, so the CLI also runs with a cwd outside the repository. */
const TSX = import.meta.resolve('tsx');

/** What a finished CLI process left behind. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Text written to stdin, then closed; without it stdin is /dev/null. */
  readonly stdin?: string;
  readonly cwd?: string;
  /** Replaces the environment (PATH and HOME are kept). */
  readonly env?: Record<string, string>;
  /** Kill after this long (default 20 s); a hang is then a failure, not a stuck suite. */
  readonly timeoutMs?: number;
}

/**
 * Runs the real `codex-gateway` CLI (`src/cli/main.ts` through tsx, so no build is needed)
 * in a child process, as a user's shell would, and resolves once it exits.
 */
export function runCliProcess(
  args: readonly string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    ['--import', TSX, path.join(repoRoot, 'src/cli/main.ts'), ...args],
    {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
