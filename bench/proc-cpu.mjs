/**
 * CPU time from Linux's /proc, shared by the bench runner (a server's main thread and all
 * its threads) and batch-cost.bench.mjs (the calling thread).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU fields (USER_HZ). */
export const CLOCK_TICKS =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * User and system CPU seconds from a /proc `stat` file (`/proc/<pid>/stat` for a whole
 * process, `/proc/<pid>/task/<tid>/stat` or `/proc/thread-self/stat` for one thread).
 * Throws when the file cannot be read.
 */
export function cpuSeconds(statFile) {
  // utime is the 12th field after the command name, stime the 13th.
  const fields = statFields(statFile);
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * Minor page faults of a process so far, all threads (`minflt`, the 10th field after the
 * command name of `/proc/<pid>/stat`): memory the kernel had to map on first touch. On a
 * virtual machine each can cost microseconds, so a server that returns freed memory to the
 * kernel and touches it again pays per request (bench/README.md). Throws when unreadable.
 */
export function minorFaults(pid) {
  return Number(statFields(`/proc/${pid}/stat`)[7]);
}

/** The fields of a /proc `stat` file after the command name (which may hold spaces). */
function statFields(statFile) {
  const stat = readFileSync(statFile, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * Context switches of a process so far, over all its threads (`voluntary_ctxt_switches`
 * and `nonvoluntary_ctxt_switches` of each `/proc/<pid>/task/<tid>/status`), and the main
 * thread's involuntary ones (preempted while it could still run). Threads that ended are
 * no longer counted, so read it around a phase in which the thread set is stable (a
 * server's, once it has started). Throws when /proc cannot be read.
 */
export function contextSwitches(pid) {
  let all = 0;
  let mainPreempted = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const voluntary = Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? NaN);
    const involuntary = Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? NaN);
    all += voluntary + involuntary;
    if (tid === String(pid)) mainPreempted = involuntary;
  }
  return { all, mainPreempted };
}
