/**
 * A server's instructions per request, counted by valgrind's callgrind: a count, not a
 * time, so the same build gives the same figure on a quiet machine and on a noisy one
 * (bench/README.md, "Instructions per request"). Used by micro/instructions.bench.mjs.
 *
 * The server starts under callgrind with instrumentation off (valgrind runs it, slower,
 * but counts nothing), is warmed up, and `callgrind_control` switches counting on for the
 * measured requests and reads the totals per thread. Only user-space instructions count:
 * the kernel's side of system calls (socket writes, fdatasync) does not.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

/** True when `valgrind` and `callgrind_control` can be run. */
export function callgrindAvailable() {
  return ['valgrind', 'callgrind_control'].every(
    (command) => spawnSync(command, ['--version']).status === 0,
  );
}

/**
 * valgrind names its control pipes after USER and HOST, and callgrind_control finds them
 * by the same names, so both get these. The gateway also reads HOST: the address it binds.
 */
const namingEnv = { USER: 'bench', HOST: '127.0.0.1' };

/**
 * Starts `node <args>` under callgrind, counting nothing yet, with `env` (plus PATH and
 * the naming variables) and `stdio` as for `spawn` (none by default). `dir` holds valgrind's
 * pipes and output files.
 */
export function startUnderCallgrind(args, env, dir, stdio = 'ignore') {
  return spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--vgdb-prefix=${path.join(dir, 'vgdb')}`,
      `--callgrind-out-file=${path.join(dir, 'callgrind.%p')}`,
      process.execPath,
      ...args,
    ],
    { stdio, env: { PATH: process.env.PATH, ...env, ...namingEnv } },
  );
}

/** Runs `callgrind_control <flag> <pid>` for a server started by startUnderCallgrind. */
export function callgrindControl(dir, pid, flag) {
  return execFileSync(
    'callgrind_control',
    [`--vgdb-prefix=${path.join(dir, 'vgdb')}`, flag, String(pid)],
    {
      env: { ...process.env, ...namingEnv },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    },
  );
}

/**
 * The instructions counted so far, from `callgrind_control -e` (lines `Th <n> <count>`,
 * the count with thousands separators): on the main thread (thread 1) and on all threads.
 * Both are 0 before counting was first switched on (no such lines yet).
 */
export function instructionTotals(text) {
  let main = 0;
  let all = 0;
  for (const [, thread, count] of text.matchAll(/^\s*Th\s+(\d+)\s+([\d,]+)\s*$/gm)) {
    const instructions = Number(count.replaceAll(',', ''));
    if (thread === '1') main = instructions;
    all += instructions;
  }
  return { main, all };
}
