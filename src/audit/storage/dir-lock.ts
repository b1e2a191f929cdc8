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
 * Claims the log directory for this process (one writer only: two writers would append at
 * the same offsets). The lock file holds the owner's pid; a lock left by a killed process
 * (pid no longer running) is taken over. Returns the release function.
 */
export function lockLogDir(dir: string): () => void {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner)) {
        throw new Error(`audit log ${dir} is already open in process ${owner}`);
      }
      unlinkSync(path); // stale: its owner died without closing
    }
  }
  throw new Error(`audit log ${dir}: could not take the writer lock`);
}
