import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/supply/helpers.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Result of a finished child process. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript script of tools/ through the project's tsx, like `npm run` does. */
export function runScript(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const tsx = join(repoRoot, 'node_modules/.bin/tsx');
  return run(tsx, [join(repoRoot, 'tools', script), ...args], options);
}

/** Spawns a command and collects its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/**
 * A small artifact tree in a fresh temp dir, shaped like the real one (dist/ with a
 * nested folder, policy/, package.json, package-lock.json). Returns its root.
 */
export async function makeArtifact(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'codex-supply-'));
  const files: Record<string, string> = {
    'package.json': '{"name":"codex-gateway","version":"0.1.0"}\n',
    'package-lock.json': '{"lockfileVersion":3,"packages":{}}\n',
    'dist/main.js': 'console.log("gateway");\n',
    'dist/cli/main.js': 'console.log("cli");\n',
    'dist/crypto/hash.js': 'export const x = 1;\n',
    'policy/policy.json': '{"version":1}\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
