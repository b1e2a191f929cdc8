import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import {
  ed25519PublicKey,
  fromHex,
  generateEd25519KeyPair,
  isHex,
  toHex,
} from '../../src/crypto/index.js';

/**
 * File adapter for the Ed25519 release signing key: the 32-byte seed as 64 lowercase hex
 * characters and a newline. The file must not be readable by group or others; when it is
 * absent and creation is allowed (local use), a fresh key is written with mode 0600,
 * exclusively (O_EXCL, so a concurrent writer or a planted symlink makes it fail), and
 * fsynced before use.
 */
export async function loadReleaseKey(
  path: string,
  options: { readonly createIfMissing: boolean },
): Promise<{ secretKey: Uint8Array; publicKey: Uint8Array; created: boolean }> {
  let created = false;
  try {
    await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !options.createIfMissing) throw err;
    await createKeyFile(path);
    created = true;
  }
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0)
    throw new Error(`release key file ${path} must not be readable by group or others (chmod 600)`);
  const text = (await readFile(path, 'utf8')).trim();
  if (!isHex(text, 32))
    throw new Error(`release key file ${path}: expected 64 lowercase hex characters`);
  const secretKey = fromHex(text);
  return { secretKey, publicKey: ed25519PublicKey(secretKey), created };
}

async function createKeyFile(path: string): Promise<void> {
  const { secretKey } = generateEd25519KeyPair();
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${toHex(secretKey)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
