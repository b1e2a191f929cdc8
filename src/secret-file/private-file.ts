import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes, toHex } from '../crypto/index.js';

/**
 * Files only the gateway's user may read (adapter): the audit log key, the release key,
 * the development client. One reader and one writer, so every such file gets the same
 * checks:
 *
 * - read: opened with O_NOFOLLOW (a symbolic link is refused, never followed), and the
 *   type and mode are read from the opened descriptor (fstat), so the file checked is the
 *   file read; a file readable by group or others is refused;
 * - write: the content goes in full to a private temp file (O_EXCL, mode 0600, fsynced),
 *   which is then linked into place and the directory fsynced: a crash can leave a stray
 *   temp file but never half a file, and link() fails if another process created the file
 *   first (then that file is used).
 */

/** Why a private file was refused. The message is one line and never holds the content. */
export class PrivateFileError extends Error {
  override readonly name = 'PrivateFileError';
  constructor(
    readonly reason: 'symlink' | 'not-a-file' | 'mode' | 'too-large' | 'create' | 'content',
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** Largest private file read (key files are 65 bytes, the development client a few hundred). */
const MAX_PRIVATE_FILE_BYTES = 64 * 1024;

/**
 * Reads a private file as UTF-8. Throws PrivateFileError when it is a symbolic link, not a
 * regular file, readable by group or others, or too large; any other error of the open
 * (ENOENT when it does not exist) is thrown as it is.
 */
export async function readPrivateFile(file: string): Promise<string> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new PrivateFileError(
        'symlink',
        file,
        `${file} is a symbolic link; use the file itself`,
      );
    throw err;
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new PrivateFileError('not-a-file', file, `${file} is not a file`);
    if ((stat.mode & 0o077) !== 0)
      throw new PrivateFileError(
        'mode',
        file,
        `${file} is readable by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    if (stat.size > MAX_PRIVATE_FILE_BYTES)
      throw new PrivateFileError('too-large', file, `${file} is larger than expected`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Creates a private file holding `text` (mode 0600; missing directories are created 0700).
 * Returns false, writing nothing, when the file already exists (another process won the
 * race). Throws PrivateFileError('create') when it cannot be written.
 */
export async function createPrivateFile(file: string, text: string): Promise<boolean> {
  const cannot = (): PrivateFileError =>
    new PrivateFileError('create', file, `cannot create ${file}`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 }).catch(() => {
    throw cannot();
  });
  const tmp = `${file}.tmp-${process.pid}-${toHex(randomBytes(4))}`;
  let fh;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    throw cannot();
  }
  try {
    await fh.chmod(0o600); // the umask may have narrowed it further; never wider than 0600
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannot();
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return true;
}
