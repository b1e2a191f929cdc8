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

/**
 * Self instructions per function, from a callgrind output file (`callgrind_control
 * --dump`), largest first: [{ name, instructions }]. Code V8 compiled at run time has no
 * symbol, only an address; `perfMap` (the text of the `/tmp/perf-<pid>.map` a process
 * started with `--perf-basic-prof` writes) names it, as `JS <function> <file>:<line>` with
 * V8's tier marker dropped, so the interpreted, baseline and optimised code of one function
 * add up, as do a function's recursion levels (`name'2`). A call's cost line (after
 * `calls=`) is the callee's inclusive cost, not the caller's own, so it is left out.
 */
export function selfInstructionsByFunction(callgrindText, perfMap = '') {
  const resolveJit = jitResolver(perfMap);
  const names = new Map();
  const self = new Map();
  let fn = '';
  let callCost = false;
  for (const line of callgrindText.split('\n')) {
    if (line.startsWith('fn=')) {
      // `name'2`: the same function entered again within its own call chain.
      fn = resolveJit(compressedName(line.slice(3), names).replace(/'\d+$/, ''));
    } else if (line.startsWith('cfn=')) {
      compressedName(line.slice(4), names); // defines an id that later lines may use
    } else if (line.startsWith('calls=')) {
      callCost = true;
    } else if (/^[\d+*-]/.test(line)) {
      const cost = Number(line.split(' ')[1] ?? 0);
      if (!callCost) self.set(fn, (self.get(fn) ?? 0) + cost);
      callCost = false;
    }
  }
  return [...self]
    .map(([name, instructions]) => ({ name, instructions }))
    .sort((a, b) => b.instructions - a.instructions);
}

/** `(id) name` defines a compressed name, `(id)` refers to it, a bare name is itself. */
function compressedName(text, names) {
  const m = /^\((\d+)\)(?: (.*))?$/.exec(text);
  if (m === null) return text;
  if (m[2] !== undefined) names.set(m[1], m[2]);
  return names.get(m[1]) ?? text;
}

/** Maps callgrind's `0x…` names of unnamed code to the perf map's function names. */
function jitResolver(perfMap) {
  const ranges = perfMap
    .split('\n')
    .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ start: parseInt(m[1], 16), size: parseInt(m[2], 16), name: m[3] }))
    .sort((a, b) => a.start - b.start);
  return (name) => {
    const m = /^0x([0-9a-f]+)$/.exec(name);
    if (m === null) return name;
    const at = parseInt(m[1], 16);
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid];
      if (at < r.start) hi = mid - 1;
      else if (at >= r.start + r.size) lo = mid + 1;
      else return `JS ${r.name.replace(/^JS:[*^~+]?/, '').replace('file://', '')}`;
    }
    return name;
  };
}
