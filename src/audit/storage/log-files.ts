import {
  closeSync,
  constants,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** The three files of a log directory (see file-log-store.ts for the layout). */
export interface LogFiles {
  readonly entries: number;
  readonly hashes: number;
  readonly offsets: number;
}

export const FILE_NAMES = {
  entries: 'entries.log',
  hashes: 'hashes.bin',
  offsets: 'offsets.bin',
} as const;

/**
 * Opens (creating, mode 0600) the log's files in `dir`, creating the directory if needed.
 * The directory is fsynced so newly created files survive a crash.
 */
export function openLogFiles(dir: string): LogFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const flags = constants.O_RDWR | constants.O_CREAT;
  const fds: number[] = [];
  try {
    for (const name of Object.values(FILE_NAMES)) fds.push(openSync(join(dir, name), flags, 0o600));
    fsyncDir(dir);
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    throw err;
  }
  const [entries, hashes, offsets] = fds as [number, number, number];
  return { entries, hashes, offsets };
}

export function closeLogFiles(files: LogFiles): void {
  closeSync(files.entries);
  closeSync(files.hashes);
  closeSync(files.offsets);
}

/** fsyncs the directory `dir`, so a file created, renamed or removed in it survives a crash. */
export function fsyncDir(dir: string): void {
  const dirFd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Writes all of `buf` at `position` (regular files may still return short counts). */
export function writeFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

/** fdatasync on the libuv thread pool, so the event loop keeps queueing appends meanwhile. */
export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}
