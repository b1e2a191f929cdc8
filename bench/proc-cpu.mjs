/**
 * CPU time from Linux's /proc, shared by the bench runner (a server's main thread and all
 * its threads) and batch-cost.bench.mjs (the calling thread).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU fields (USER_HZ). */
export const CLOCK_TICKS =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * User and system CPU seconds from a /proc `stat` file (`/proc/<pid>/stat` for a whole
 * process, `/proc/<pid>/task/<tid>/stat` or `/proc/thread-self/stat` for one thread).
 * Throws when the file cannot be read.
 */
export function cpuSeconds(statFile) {
  const stat = readFileSync(statFile, 'utf8');
  // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}
