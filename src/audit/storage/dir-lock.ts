import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_NAME = 'writer.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Start time of `pid` (field 22 of /proc/<pid>/stat, clock ticks since boot), or '-' where
 * /proc is not available. With the pid it names one process even when pids are reused: in
 * a container the gateway is pid 1 after every restart.
 */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '-';
  } catch {
    return '-';
  }
}

/** True when the lock's owner (`pid start`) is a running process, and the same one. */
function ownerRunning(content: string): { pid: number; running: boolean } {
  const [pidText = '', started = '-'] = content.trim().split(' ');
  const pid = Number.parseInt(pidText, 10);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) return { pid, running: false };
  const now = startTime(pid);
  return { pid, running: started === '-' || now === '-' || now === started };
}

/** Another running process holds the directory: not damage, so the advice differs. */
export class DirLockedError extends Error {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = 'DirLockedError';
  }
}

/**
 * Claims the log directory for this process (one writer only: two writers would append at
 * the same offsets). The lock file holds the owner's pid and start time; a lock left by a
 * killed process (pid not running, or now another process) is taken over. Returns the
 * release function. `what` names the directory's owner in errors (the delivery outbox
 * uses the same lock).
 */
export function lockLogDir(dir: string, what = 'audit log'): () => void {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid} ${startTime(process.pid)}\n`);
      closeSync(fd);
      return () => unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = ownerRunning(readFileSync(path, 'utf8'));
      if (owner.running)
        throw new DirLockedError(
          `${what} ${dir} is already open in process ${owner.pid}`,
          owner.pid,
        );
      unlinkSync(path); // stale: its owner died without closing (or its pid was reused)
    }
  }
  throw new Error(`${what} ${dir}: could not take the writer lock`);
}
