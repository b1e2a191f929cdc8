import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  ed25519PublicKey,
  fromHex,
  generateEd25519KeyPair,
  randomBytes,
  toHex,
} from '../crypto/index.js';

/** The log's Ed25519 signing key. */
export interface LogKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Raised when the key file is unusable; the message is one line and never holds key bytes. */
export class LogKeyError extends Error {
  override readonly name = 'LogKeyError';
}

const KEY_LINE = /^[0-9a-f]{64}\n?$/;

/**
 * Loads the checkpoint signing key from `file` (64 hex characters: the 32-byte Ed25519
 * seed), or creates it with mode 0600 when absent (adapter for GATEWAY_LOG_KEY_FILE).
 * A key file readable by group or others is refused: whoever reads it can sign
 * checkpoints for any history. The mode is read from the opened descriptor, so the file
 * checked is the file read.
 */
export async function loadOrCreateLogKey(file: string): Promise<LogKeyPair> {
  try {
    return await loadLogKey(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { secretKey, publicKey } = generateEd25519KeyPair();
  // Written in full to a private temp file, then linked into place: a crash can leave a
  // stray temp file but never a half-written key, and link() fails if another process
  // created the key first (then that key is used).
  const tmp = `${file}.tmp-${process.pid}-${toHex(randomBytes(4))}`;
  let fh;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    throw new LogKeyError(`GATEWAY_LOG_KEY_FILE: cannot create ${file}`);
  }
  try {
    await fh.chmod(0o600); // the umask may have narrowed it further; never wider than 0600
    await fh.writeFile(toHex(secretKey) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadLogKey(file);
    throw new LogKeyError(`GATEWAY_LOG_KEY_FILE: cannot create ${file}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return { secretKey, publicKey };
}

async function loadLogKey(file: string): Promise<LogKeyPair> {
  const fh = await open(file, 'r');
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new LogKeyError(`GATEWAY_LOG_KEY_FILE: ${file} is not a file`);
    if ((stat.mode & 0o077) !== 0)
      throw new LogKeyError(
        `GATEWAY_LOG_KEY_FILE: ${file} is readable by group or others ` +
          `(mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    const text = await fh.readFile('utf8');
    if (!KEY_LINE.test(text))
      throw new LogKeyError(`GATEWAY_LOG_KEY_FILE: ${file} must hold 64 lowercase hex characters`);
    const secretKey = fromHex(text.trim());
    return { secretKey, publicKey: ed25519PublicKey(secretKey) };
  } finally {
    await fh.close();
  }
}
