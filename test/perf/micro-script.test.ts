import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM module of the bench, without type declarations
import { runMicroScript } from '../../bench/micro-script.mjs';
import { alive } from '../helpers/processes.js';

// `npm run bench` runs each micro benchmark script through runMicroScript; a script past
// its timeout is killed with everything it started (the `instructions` micro's servers run
// under valgrind as its child processes).
describe('bench micro script runner', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'micro-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('resolves to the last JSON line a script prints', async () => {
    const file = script(
      'ok.mjs',
      `console.log('{"a":1}'); console.log('text'); console.log('{"b":2}');`,
    );
    expect(await runMicroScript([file], { cwd: dir, timeoutMs: 10_000 })).toEqual({ b: 2 });
  });

  it('says why there is no result: a failed exit, or no JSON line', async () => {
    const failed = script('fail.mjs', `console.log('{"a":1}'); process.exit(3);`);
    expect(await runMicroScript([failed], { cwd: dir, timeoutMs: 10_000 })).toEqual({
      failed: 'exit 3',
    });
    const silent = script('silent.mjs', `console.log('no json');`);
    expect(await runMicroScript([silent], { cwd: dir, timeoutMs: 10_000 })).toEqual({
      failed: 'ran, but printed no JSON line',
    });
  });

  it('past the timeout kills the script and the processes it started', async () => {
    // The script starts a child that would run for a minute, prints its pid, and waits.
    const file = script(
      'hang.mjs',
      `import { spawn } from 'node:child_process';
       const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
       console.log(JSON.stringify({ grandchild: child.pid }));
       setTimeout(() => {}, 60000);`,
    );
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    // The runner echoes the script's output to stderr: read the grandchild's pid there.
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let result: unknown;
    try {
      result = await runMicroScript([file], { cwd: dir, timeoutMs: 1_000 });
    } finally {
      process.stderr.write = write;
    }
    expect(result).toEqual({ failed: 'killed (SIGKILL, timeout 1s)' });
    const pid = (JSON.parse(lines.join('').trim()) as { grandchild: number }).grandchild;
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
    expect(alive(pid)).toBe(false);
  });
});
