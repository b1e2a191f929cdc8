/**
 * Runs one micro benchmark script for `npm run bench` (run.mjs) and resolves to its last
 * JSON line, or to `{ failed }` saying why there is none.
 */
import { spawn } from 'node:child_process';
import { killGroup, trackJob } from './interrupt.mjs';

/**
 * Runs `node <args>` in `cwd`, echoing its stdout to stderr, and resolves to the last line
 * of its stdout that starts with `{`, parsed. The script runs as the leader of its own
 * process group, and past `timeoutMs` the whole group is killed: the `instructions`
 * micro runs its servers under valgrind as child processes, and killing only the script
 * had left them running, with their CPU, into the bench runs that followed.
 */
export function runMicroScript(args, { cwd, timeoutMs }) {
  return new Promise((resolve) => {
    const child = trackJob(
      spawn(process.execPath, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      process.stderr.write(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = text
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (timedOut) return resolve({ failed: `killed (SIGKILL, timeout ${timeoutMs / 1000}s)` });
      if (code === 0 && line === undefined)
        return resolve({ failed: 'ran, but printed no JSON line' });
      if (code !== 0 || line === undefined)
        return resolve({ failed: signal === null ? `exit ${code}` : `killed (${signal})` });
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ failed: 'last line is not JSON' });
      }
    });
  });
}
