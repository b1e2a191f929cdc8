import { loadEd25519KeyFile, type Ed25519KeyFile } from '../../src/secret-file/ed25519-key-file.js';
import { PrivateFileError } from '../../src/secret-file/private-file.js';

/**
 * The Ed25519 release signing key (release tooling): the 32-byte seed as 64 lowercase hex
 * characters and a newline, through the same loader as the audit log key
 * (src/secret-file/: no symbolic link, mode checked on the opened descriptor, created
 * 0600 through a temp file and link). When it is absent and creation is allowed (local
 * use), a fresh key is written.
 */
export async function loadReleaseKey(
  path: string,
  options: { readonly createIfMissing: boolean },
): Promise<Ed25519KeyFile> {
  try {
    return await loadEd25519KeyFile(path, options);
  } catch (err) {
    if (!(err instanceof PrivateFileError)) throw err;
    if (err.reason === 'mode')
      throw new Error(
        `release key file ${path} must not be readable by group or others (chmod 600)`,
      );
    throw new Error(`release key file: ${err.message}`);
  }
}
