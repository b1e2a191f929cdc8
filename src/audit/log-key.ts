import { loadEd25519KeyFile } from '../secret-file/ed25519-key-file.js';
import { PrivateFileError } from '../secret-file/private-file.js';

/** The log's Ed25519 signing key. */
export interface LogKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Raised when the key file is unusable; the message is one line and never holds key bytes. */
export class LogKeyError extends Error {
  override readonly name = 'LogKeyError';
}

/**
 * Loads the checkpoint signing key from `file` (64 hex characters: the 32-byte Ed25519
 * seed), or creates it with mode 0600 when absent (adapter for GATEWAY_LOG_KEY_FILE).
 * A key file readable by group or others, or a symbolic link, is refused: whoever reads
 * it can sign checkpoints for any history. The checks and the crash-safe write are the
 * shared ones of src/secret-file/ (mode read from the opened descriptor, temp file + link).
 */
export async function loadOrCreateLogKey(file: string): Promise<LogKeyPair> {
  try {
    const { secretKey, publicKey } = await loadEd25519KeyFile(file, { createIfMissing: true });
    return { secretKey, publicKey };
  } catch (err) {
    if (err instanceof PrivateFileError)
      throw new LogKeyError(`GATEWAY_LOG_KEY_FILE: ${err.message}`);
    throw err;
  }
}
