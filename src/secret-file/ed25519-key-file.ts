import { ed25519PublicKey, fromHex, generateEd25519KeyPair, toHex } from '../crypto/index.js';
import { HEX_32 } from '../protocol/grammar.js';
import { PrivateFileError, createPrivateFile, readPrivateFile } from './private-file.js';

/**
 * An Ed25519 key file (adapter): the 32-byte seed as 64 lowercase hex characters and an
 * optional newline, nothing else, in a private file (private-file.ts: no symbolic link,
 * mode checked on the opened descriptor, written through a temp file and link). Used for
 * the audit log key (GATEWAY_LOG_KEY_FILE) and the release signing key (tools/).
 */
export interface Ed25519KeyFile {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** True when this call created the file. */
  readonly created: boolean;
}

/**
 * Loads the key in `file`; when it does not exist and `createIfMissing` is set, creates a
 * fresh one (of two processes racing, both end up with the key that was linked first).
 * Throws PrivateFileError for an unusable file (reason `content` when it does not hold
 * exactly one key), and the open's own error (ENOENT) for a missing file not to be created.
 */
export async function loadEd25519KeyFile(
  file: string,
  options: { readonly createIfMissing: boolean },
): Promise<Ed25519KeyFile> {
  try {
    return await readKey(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !options.createIfMissing) throw err;
  }
  const { secretKey, publicKey } = generateEd25519KeyPair();
  if (!(await createPrivateFile(file, `${toHex(secretKey)}\n`))) return readKey(file);
  return { secretKey, publicKey, created: true };
}

async function readKey(file: string): Promise<Ed25519KeyFile> {
  const text = await readPrivateFile(file);
  // Checked as read: no trimming, so stray spaces or a second line are refused.
  const hex = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!HEX_32.test(hex))
    throw new PrivateFileError(
      'content',
      file,
      `${file} must hold 64 lowercase hex characters (an Ed25519 seed) and nothing else`,
    );
  const secretKey = fromHex(hex);
  return { secretKey, publicKey: ed25519PublicKey(secretKey), created: false };
}
