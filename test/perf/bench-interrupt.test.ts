import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { alive, descendants } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

/**
 * `npm run bench` stops (SIGSTOP) every other server while it drives one. Interrupted in
 * the middle of such a drive, it must stop everything it started, not leave stopped
 * servers behind (bench/interrupt.mjs). These run the real bench/run.mjs on the built
 * gateway (dist/, which `.ci/run` builds before the tests), 1 KiB only, with Redis and
 * PostgreSQL at dead ports so it starts only the echo and the memory gateway. Each
 * measured drive is set to 60 s: a run that waited for its drive to end would fail the
 * time bound below.
 */
const built = existsSync(path.join(repoRoot, 'dist/main.js'));
const buildRequired = process.env['REQUIRE_BUILD'] === '1' || process.env['CI'] === 'true';
const results = path.join(repoRoot, 'bench/results/latest.json');
const mtime = (file: string): number | undefined =>
  existsSync(file) ? statSync(file).mtimeMs : undefined;
const benchTempDirs = (): string[] =>
  readdirSync(os.tmpdir()).filter((name) => name.startsWith('codex-bench-'));

/**
 * Starts bench/run.mjs and resolves once its first measured drive runs, with the memory
 * gateway stopped (the echo is driven first): the bench, its live descendants then, its
 * stderr so far and its exit code to come.
 */
async function benchWithAServerStopped() {
  const bench = spawn(process.execPath, [path.join(repoRoot, 'bench/run.mjs')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      BENCH_SIZES: '1KiB',
      BENCH_ROUNDS: '1',
      BENCH_CONNECTIONS: '8',
      BENCH_DURATION_SEC: '60',
      BENCH_SKIP_MICRO: '1',
      REDIS_URL: 'redis://127.0.0.1:1',
      BENCH_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  bench.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    bench.once('exit', (code) => resolve(code)),
  );
  const pid = bench.pid as number;
  // Past the warm-up (which stops no server), the echo's measured drive: the gateway is
  // stopped a moment before the driver starts, so wait for all three (echo, gateway, driver).
  const during = await until(
    async () => descendants(pid),
    (ps) => (ps.some((p) => p.state === 'T') && ps.length >= 3) || bench.exitCode !== null,
    40_000,
  );
  return { bench, during, stderr: () => stderr, exited };
}

/**
 * Kills whatever is left of a failed test: the bench, every process it runs now and those it
 * ran during the test (an orphan's parent is no longer the bench).
 */
function killAll(run: { bench: { pid?: number | undefined }; during: { pid: number }[] }): void {
  const pid = run.bench.pid as number;
  for (const p of [...descendants(pid), ...run.during, { pid }]) {
    try {
      process.kill(p.pid, 'SIGKILL'); // SIGKILL ends a stopped process too
    } catch {
      // gone meanwhile
    }
  }
}

const within = async (ms: number, exited: Promise<number | null>): Promise<number | null> =>
  Promise.race([
    exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the bench did not exit within ${ms} ms`)), ms),
    ),
  ]);

describe.skipIf(!built && !buildRequired)('npm run bench, interrupted', () => {
  it('on a signal stops every process it started, cleans up and writes no results', async () => {
    expect(built, 'dist/main.js: run `npm run build` first').toBe(true);
    const resultsBefore = mtime(results);
    const tempBefore = benchTempDirs();
    const run = await benchWithAServerStopped();
    try {
      expect(run.during.filter((p) => p.state === 'T')).toHaveLength(1); // the gateway
      run.bench.kill('SIGTERM');
      expect(await within(10_000, run.exited)).toBe(128 + os.constants.signals.SIGTERM);
      for (const p of run.during)
        await until(
          async () => alive(p.pid),
          (up) => !up,
          5_000,
        );
      expect(run.stderr()).toContain('load phase stopped (SIGTERM)');
      expect(run.stderr()).not.toContain('load phase failed');
      expect(run.stderr()).toContain('interrupted by SIGTERM: no results written');
      expect(mtime(results)).toBe(resultsBefore);
      expect(benchTempDirs()).toEqual(tempBefore);
    } finally {
      killAll(run);
    }
  }, 60_000);

  it('on a second signal kills its servers, stopped or not, and exits at once', async () => {
    expect(built, 'dist/main.js: run `npm run build` first').toBe(true);
    const run = await benchWithAServerStopped();
    try {
      // Two different signals are both delivered, in one turn of the bench's event loop:
      // the second lands before the first one's cleanup has done anything.
      run.bench.kill('SIGTERM');
      run.bench.kill('SIGINT');
      const code = await within(5_000, run.exited);
      expect([os.constants.signals.SIGTERM, os.constants.signals.SIGINT]).toContain(
        (code ?? 0) - 128,
      );
      expect(run.stderr()).not.toContain('no results written'); // the cleanup did not run
      for (const p of run.during)
        await until(
          async () => alive(p.pid),
          (up) => !up,
          5_000,
        );
    } finally {
      killAll(run);
    }
  }, 60_000);
});
