import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fromHex, isHex, toHex } from '../crypto/index.js';
import type { SignedTreeHead, SignedTreeHeadStore } from './checkpoint-signer.js';

/**
 * File adapter of SignedTreeHeadStore: one small JSON file `{"size": n, "root": "<hex>"}`.
 * Saved crash-safely (write a temp file, fsync it, rename over the old one, fsync the
 * directory), so after a crash the file holds either the old or the new head, never a
 * torn one. A file that exists but does not parse is an error, not "no head yet":
 * silently starting over would let a rewritten log be signed.
 */
export class FileSignedTreeHeadStore implements SignedTreeHeadStore {
  constructor(private readonly file: string) {}

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
    const head = parsed as { size?: unknown; root?: unknown } | undefined;
    if (
      typeof head !== 'object' ||
      head === null ||
      Object.keys(head).length !== 2 ||
      !Number.isSafeInteger(head.size) ||
      (head.size as number) < 0 ||
      typeof head.root !== 'string' ||
      !isHex(head.root, 32)
    )
      throw new Error(`audit checkpoint state ${this.file} is damaged`);
    return { size: head.size as number, root: fromHex(head.root) };
  }

  async save(head: SignedTreeHead): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const body = JSON.stringify({ size: head.size, root: toHex(head.root) }) + '\n';
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
