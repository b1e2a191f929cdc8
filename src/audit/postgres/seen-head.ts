import { readFile } from 'node:fs/promises';
import { toHex } from '../../crypto/index.js';
import { replaceFileDurably } from '../durable-file.js';
import { verifyConsistency } from '../merkle.js';
import type { HeadSigner, MerkleLogStore, SignedHead } from '../log-store.js';

/**
 * What an instance of the PostgreSQL log remembers outside the database (docs/scaling.md,
 * "A restore to an older state"): the newest signed checkpoint it has seen or signed, in
 * `<GATEWAY_DATA_DIR>/audit-seen-head` (the note as served, 0600). At start the database's
 * signed head must be that head or extend it (consistency proof); a database restored to
 * an older state, or one whose history forked after such a restore, is refused.
 */
export const SEEN_HEAD_FILE = 'audit-seen-head';

/** Raised at start when the database's log is older than, or not an extension of, the one seen. */
export class AuditRestoredError extends Error {
  override readonly name = 'AuditRestoredError';
}

/** Reads the remembered note; undefined when the instance has none (a fresh data directory). */
export async function loadSeenHead(
  file: string,
  signer: HeadSigner,
): Promise<SignedHead | undefined> {
  let note: string;
  try {
    note = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let head;
  try {
    head = signer.verify(note);
  } catch (err) {
    throw new AuditRestoredError(
      `audit log refused: ${file} does not hold a checkpoint signed by this log's key (${(err as Error).message}). ` +
        `What to do: if this data directory belonged to another log, give the instance its own GATEWAY_DATA_DIR; otherwise restore the file from a backup`,
    );
  }
  return { note, size: head.size, root: head.root };
}

/**
 * Refuses a database whose signed head `db` is smaller than the remembered `seen`, or does
 * not extend it (the store's consistency proof from seen.size to db.size fails). One line
 * naming both sizes, the file and what to do.
 */
export async function checkAgainstSeen(
  store: MerkleLogStore,
  db: SignedHead,
  seen: SignedHead,
  file: string,
): Promise<void> {
  const fix =
    `What to do: restore the newest database backup (one holding at least ${seen.size} entries); ` +
    `receipts this log issued up to ${seen.size} entries are not in this database. To accept the loss deliberately, ` +
    `keep ${file} as evidence, move it away and start again (see docs/scaling.md)`;
  if (db.size < seen.size)
    throw new AuditRestoredError(
      `audit log refused: the database's log has ${db.size} entries but this instance saw a signed checkpoint of ${seen.size} entries ` +
        `(the database was restored to an older state). ${fix}`,
    );
  if (seen.size === 0) return;
  let consistent = false;
  try {
    const proof = await store.consistencyProof(seen.size, db.size);
    consistent = verifyConsistency(seen.size, db.size, proof, seen.root, db.root);
  } catch {
    consistent = false;
  }
  if (!consistent)
    throw new AuditRestoredError(
      `audit log refused: the database's log of ${db.size} entries does not extend the checkpoint of ${seen.size} entries ` +
        `(root ${toHex(seen.root).slice(0, 16)}…) this instance saw: its history was rewritten, e.g. restored to an older state and appended to since. ${fix}`,
    );
}

/**
 * Keeps `file` at the newest head handed to `saw()`: written crash-safely (temp file,
 * fsync, rename, directory fsync), one write at a time, later heads coalesced into the
 * next write. Never on the append path: the file may lag the newest head by the write in
 * flight (milliseconds); `flush()` waits for it (at close).
 */
export class SeenHeadRecorder {
  private savedSize: number;
  private next: SignedHead | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    saved: SignedHead | undefined,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.savedSize = saved === undefined ? -1 : saved.size;
  }

  saw(head: SignedHead): void {
    if (head.size <= this.savedSize || (this.next !== undefined && head.size <= this.next.size))
      return;
    this.next = head;
    this.writing ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.next !== undefined) {
      const head = this.next;
      this.next = undefined;
      if (head.size <= this.savedSize) continue;
      try {
        await replaceFileDurably(this.file, head.note);
        this.savedSize = head.size;
      } catch (err) {
        this.onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
    this.writing = undefined;
  }
}
