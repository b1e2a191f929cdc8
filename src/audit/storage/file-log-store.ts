/**
 * File-backed MerkleLogStore (work in progress: the interface is final, the body lands next).
 */
import type { FileLogStoreOptions, MerkleLogStore } from '../log-store.js';

/** Opens (creating if needed) the log in `dir`, recovering a torn tail; see module comment. */
export async function openFileLogStore(
  dir: string,
  opts: FileLogStoreOptions = {},
): Promise<MerkleLogStore> {
  void dir;
  void opts;
  throw new Error('openFileLogStore: not implemented yet');
}
