/**
 * The auditor's state file (`audit verify --state FILE`): the last verified tree head. It is
 * what catches a gateway that rewrites history, so it is handled as evidence:
 *
 * - **One run at a time.** A lock file `FILE.lock` is created exclusively (O_EXCL, no
 *   link followed) before the state is read and removed after the run. A second run while
 *   it exists fails (`audit verify: FAILED: … in use …`), so two runs that see two forks of
 *   a log cannot both succeed, the later one silently erasing the other's evidence. A lock
 *   left by a killed run is reported with its pid and must be removed by hand (fail closed).
 * - **Compare-and-swap.** Just before the rename, the file is read again and must still be
 *   byte-identical to what the run started from; otherwise nothing is replaced.
 * - **No links, no strangers.** The state file must be a regular file, not a symbolic link
 *   (refused, not followed: a link could make the run update a file the auditor does not
 *   look at). The temp file is created with O_EXCL | O_NOFOLLOW (a planted link or file at
 *   its name fails the run instead of redirecting the write). The file and its directory
 *   must not be writable by group or others, and must belong to the user running the audit
 *   (the directory may also belong to root): whoever can write them can rewrite the
 *   evidence.
 */
import { constants } from 'node:fs';
import { lstat, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseBoundedJson } from '../client/bounded-json.js';
import { escapeUntrusted } from '../client/untrusted-text.js';
import { AuditFailure } from './audit-http.js';
import { HEX_32 } from '../protocol/grammar.js';

/** What `audit verify --state FILE` remembers between runs: the last verified tree head. */
export interface AuditorState {
  readonly origin: string;
  readonly size: number;
  /** Lowercase hex root. */
  readonly root: string;
  /** The signed note it came from, kept as evidence. */
  readonly checkpoint: string;
}

/** The locked state file of one run. */
export interface AuditorStateFile {
  /** The saved state; undefined on the first run (no file yet). */
  readonly state: AuditorState | undefined;
  /**
   * Replaces the state atomically (exclusive temp file, fsync, compare-and-swap, rename,
   * fsync of the directory).
   * @throws AuditFailure when the file changed since it was read, or cannot be written.
   */
  write(state: AuditorState): Promise<void>;
  /** Removes the lock. Call once, in a `finally`. */
  release(): Promise<void>;
}

/** Largest state file read (a note is a few hundred bytes). */
const MAX_STATE_BYTES = 64 * 1024;
const { O_CREAT, O_EXCL, O_WRONLY, O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * Checks the state file and its directory, takes the lock and reads the saved state.
 * @throws AuditFailure when the file is unsafe, locked by another run, or damaged.
 */
export async function openAuditorState(file: string): Promise<AuditorStateFile> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const name = escapeUntrusted(file);
  await checkDirectory(dir, name);
  const lockFile = `${target}.lock`;
  const lock = await takeLock(lockFile, name);
  const release = async (): Promise<void> => {
    await unlink(lockFile).catch(() => undefined);
  };
  try {
    const original = await readRaw(target, name);
    const state = original === undefined ? undefined : parseState(original, name);
    return {
      state,
      release,
      write: (next) => writeState(target, dir, name, original, next),
    };
  } catch (err) {
    await release();
    throw err;
  } finally {
    await lock.close();
  }
}

async function checkDirectory(dir: string, shownName: string): Promise<void> {
  let s;
  try {
    s = await stat(dir);
  } catch {
    throw new AuditFailure(`the directory of state file ${shownName} does not exist`);
  }
  if (!s.isDirectory())
    throw new AuditFailure(`the directory of state file ${shownName} is not a directory`);
  if ((s.mode & 0o022) !== 0)
    throw new AuditFailure(
      `the directory of state file ${shownName} is writable by group or others (chmod go-w it, or use another directory)`,
    );
  const uid = process.getuid?.();
  if (uid !== undefined && s.uid !== uid && s.uid !== 0)
    throw new AuditFailure(
      `the directory of state file ${shownName} belongs to another user (uid ${s.uid})`,
    );
}

async function takeLock(lockFile: string, shownName: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(lockFile, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new AuditFailure(`cannot create the lock file of state file ${shownName}`);
    throw new AuditFailure(
      `state file ${shownName} is in use by another audit verify run (${await lockOwner(lockFile)}); ` +
        `remove ${shownName}.lock only if no run is active`,
    );
  }
  await fh.writeFile(`${process.pid}\n`);
  await fh.sync();
  return fh;
}

/** Who holds a lock, as far as can be told, for the refusal message. */
async function lockOwner(lockFile: string): Promise<string> {
  try {
    const fh = await open(lockFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(32), 0, 32, 0);
      const pid = /^([0-9]{1,10})\n$/.exec(buffer.subarray(0, bytesRead).toString('latin1'))?.[1];
      if (pid === undefined) return 'lock file of unknown origin';
      try {
        process.kill(Number(pid), 0);
        return `pid ${pid}`;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH'
          ? `pid ${pid}, which is no longer running`
          : `pid ${pid}`;
      }
    } finally {
      await fh.close();
    }
  } catch {
    return 'lock file unreadable';
  }
}

/** The file's exact text, undefined when it does not exist; refuses links and strangers. */
async function readRaw(target: string, shownName: string): Promise<string | undefined> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted at the name must not hang the run; it is refused below.
    fh = await open(target, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || (await isLink(target)))
      throw new AuditFailure(
        `state file ${shownName} is a symbolic link; pass the path of the real file`,
      );
    throw new AuditFailure(`cannot read state file ${shownName}`);
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new AuditFailure(`state file ${shownName} is not a regular file`);
    if ((s.mode & 0o022) !== 0)
      throw new AuditFailure(
        `state file ${shownName} is writable by group or others; refusing to trust it (chmod 600 it)`,
      );
    const uid = process.getuid?.();
    if (uid !== undefined && s.uid !== uid)
      throw new AuditFailure(`state file ${shownName} belongs to another user (uid ${s.uid})`);
    if (s.size > MAX_STATE_BYTES) throw new AuditFailure(`state file ${shownName} is too large`);
    const { bytesRead, buffer } = await fh.read(
      Buffer.alloc(MAX_STATE_BYTES + 1),
      0,
      MAX_STATE_BYTES + 1,
      0,
    );
    if (bytesRead > MAX_STATE_BYTES) throw new AuditFailure(`state file ${shownName} is too large`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

async function isLink(target: string): Promise<boolean> {
  try {
    return (await lstat(target)).isSymbolicLink();
  } catch {
    return false;
  }
}

function parseState(text: string, shownName: string): AuditorState {
  try {
    const s = parseBoundedJson(text, { maxDepth: 2, maxTokens: 64 }) as Partial<AuditorState>;
    if (
      typeof s === 'object' &&
      s !== null &&
      typeof s.origin === 'string' &&
      Number.isSafeInteger(s.size) &&
      (s.size as number) >= 0 &&
      typeof s.root === 'string' &&
      HEX_32.test(s.root) &&
      typeof s.checkpoint === 'string'
    )
      return s as AuditorState;
  } catch {
    // fall through
  }
  throw new AuditFailure(`state file ${shownName} is damaged; refusing to trust or overwrite it`);
}

async function writeState(
  target: string,
  dir: string,
  shownName: string,
  original: string | undefined,
  state: AuditorState,
): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle;
  try {
    fh = await open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
  } catch {
    throw new AuditFailure(`cannot create a temp file next to state file ${shownName}`);
  }
  try {
    try {
      await fh.writeFile(JSON.stringify(state, null, 2) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Compare-and-swap: the lock keeps other runs of this tool out; this also catches any
    // other writer (an older version, a hand edit) between our read and our rename.
    if ((await readRaw(target, shownName)) !== original)
      throw new AuditFailure(
        `state file ${shownName} changed during this run; not overwritten (run again)`,
      );
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (err instanceof AuditFailure) throw err;
    throw new AuditFailure(`cannot write state file ${shownName}`);
  }
  const d = await open(dir, O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
