import os from 'node:os';

/**
 * What `npm run bench` (run.mjs) does when it is interrupted (SIGINT, SIGTERM, SIGHUP, once
 * `handleInterrupts` is called; tracking alone changes nothing). It must not leave a
 * server stopped (SIGSTOP: run.mjs stops every other server while it drives one) or a load
 * driver or micro script running. On the first signal the driver or micro script in
 * progress is killed with its process group, so the drive fails at once and run.mjs
 * unwinds as after any failure: the stopped servers are continued, then stopped with
 * the rest of its cleanup (database dropped, Redis prefix deleted, temp dir removed), and
 * it exits without writing results. A second signal kills the servers (and any job) and exits at once,
 * skipping that cleanup (a PostgreSQL target's database and the temp dir stay). SIGKILL cannot be caught: after it, a stopped server stays stopped.
 */

/** @type {Set<import('node:child_process').ChildProcess>} */
const servers = new Set();
/** @type {Set<import('node:child_process').ChildProcess>} */
const jobs = new Set();
/** @type {NodeJS.Signals | undefined} */
let signalled;

function track(set, child) {
  set.add(child);
  child.once('exit', () => set.delete(child));
  return child;
}

/** A server of the run: killed when a second signal interrupts the bench. */
export const trackServer = (child) => track(servers, child);

/**
 * A load driver or micro script, the leader of its own process group (spawned with
 * `detached: true`): the group is killed when the bench is interrupted.
 */
export const trackJob = (child) => track(jobs, child);

/** The signal that interrupted the bench, or undefined. */
export const interruptedBy = () => signalled;

/** SIGKILLs `child`'s process group (it was spawned `detached`); nothing if it is gone. */
export function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

function onSignal(signal) {
  if (signalled !== undefined) {
    for (const child of jobs) killGroup(child);
    for (const child of servers) child.kill('SIGKILL');
    process.exit(128 + os.constants.signals[signal]);
  }
  signalled = signal;
  process.stderr.write(`bench: ${signal}: stopping the run (again to stop at once)\n`);
  for (const child of jobs) killGroup(child);
}

/** Takes over SIGINT, SIGTERM and SIGHUP for this process (run.mjs calls it once). */
export function handleInterrupts() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
}
