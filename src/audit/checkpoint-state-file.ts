import { readFile } from 'node:fs/promises';
import { fromHex, isHex, toHex } from '../crypto/index.js';
import type { SignedTreeHead, SignedTreeHeadStore } from './checkpoint-signer.js';
import { replaceFileDurably } from './durable-file.js';

/** Raised when the log key is not the key that signed the last checkpoint. */
export class LogKeyChangedError extends Error {
  override readonly name = 'LogKeyChangedError';
}

/**
 * File adapter of SignedTreeHeadStore: one small JSON file
 * `{"size": n, "root": "<hex>", "key": "<hex public key that signed it>"}`.
 * Saved crash-safely (write a temp file, fsync it, rename over the old one, fsync the
 * directory), so after a crash the file holds either the old or the new head, never a
 * torn one. A file that exists but does not parse is an error, not "no head yet":
 * silently starting over would let a rewritten log be signed.
 */
export class FileSignedTreeHeadStore implements SignedTreeHeadStore {
  /**
   * @param publicKey the log key this process signs with. When given, it is recorded with
   *   every head, and `load()` refuses a head recorded under another key: a replaced or
   *   altered key file would otherwise sign checkpoints that auditors cannot verify.
   *   Files written before the key was recorded (two fields) are accepted and upgraded
   *   on the next save.
   */
  constructor(
    private readonly file: string,
    private readonly publicKey?: Uint8Array,
  ) {}

  async load(): Promise<SignedTreeHead | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const head = parsed as { size?: unknown; root?: unknown; key?: unknown } | undefined;
    if (
      typeof head !== 'object' ||
      head === null ||
      !Object.keys(head).every((k) => k === 'size' || k === 'root' || k === 'key') ||
      (head.key !== undefined && (typeof head.key !== 'string' || !isHex(head.key, 32))) ||
      !Number.isSafeInteger(head.size) ||
      (head.size as number) < 0 ||
      typeof head.root !== 'string' ||
      !isHex(head.root, 32)
    )
      throw new Error(`audit checkpoint state ${this.file} is damaged`);
    if (
      this.publicKey !== undefined &&
      typeof head.key === 'string' &&
      head.key !== toHex(this.publicKey)
    )
      throw new LogKeyChangedError(
        `the log key changed: the last checkpoint (${head.size as number} entries) was signed ` +
          `by public key ${head.key.slice(0, 16)}…, the key file now holds ${toHex(this.publicKey).slice(0, 16)}…`,
      );
    return { size: head.size as number, root: fromHex(head.root) };
  }

  async save(head: SignedTreeHead): Promise<void> {
    const body =
      JSON.stringify({
        size: head.size,
        root: toHex(head.root),
        ...(this.publicKey !== undefined && { key: toHex(this.publicKey) }),
      }) + '\n';
    await replaceFileDurably(this.file, body);
  }
}
