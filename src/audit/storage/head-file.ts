import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../crypto/index.js';
import { AuditCorruptionError, type HeadSigner, type SignedHead } from '../log-store.js';
import { datasync, writeFully } from './log-files.js';

/** File name of the signed head, beside the log's other files. */
export const HEAD_FILE = 'head.bin';

/**
 * Bytes per slot: `u32 LE length ‖ 32-byte SHA-256 of the note ‖ note (UTF-8) ‖ zeros`. A
 * note of this log is a few hundred bytes; the slot leaves room for the longest origin.
 */
export const HEAD_SLOT_BYTES = 4096;
const SLOT_HEADER = 4 + 32;

/** One slot as read back: empty (never written, or cleared), torn, or a note. */
type SlotRead =
  | { readonly kind: 'empty' }
  | { readonly kind: 'torn' }
  | { readonly kind: 'note'; readonly note: string };

/**
 * `head.bin`: the latest signed checkpoint of the file log (docs/protocol.md §9), in two slots
 * written alternately. A batch writes its new head into the slot that does NOT hold the
 * current one, once the batch's records are durable, and the group committer fdatasyncs
 * it before any append of the batch resolves, so:
 *
 * - a crash while a slot is written leaves the other slot, the previous head, intact;
 * - even after a power loss, no head on disk signs records the disk does not hold;
 * - a torn slot (length/checksum mismatch) is the unacknowledged head being written: it
 *   is ignored; a slot whose checksum holds but whose signature does not is forged and
 *   refused;
 * - the newest head any client may hold a receipt for is always on disk, so files cut
 *   below it are noticed at open (see `checkAgainstFiles` in file-log-store.ts).
 */
export class HeadFile {
  private constructor(
    private readonly fd: number,
    /** Slot holding the latest durable head (the next write goes to the other one). */
    private current: 0 | 1,
  ) {}

  /** Opens (creating, 0600) `dir/head.bin`. */
  static open(dir: string): HeadFile {
    const fd = openSync(join(dir, HEAD_FILE), constants.O_RDWR | constants.O_CREAT, 0o600);
    return new HeadFile(fd, 1);
  }

  /**
   * The newest valid head in the file, checked with `signer` (undefined when the file is
   * empty or holds only empty or torn slots). Throws AuditCorruptionError for a slot whose
   * checksum holds but whose note does not verify, and for a file of the wrong length.
   */
  load(signer: HeadSigner): SignedHead | undefined {
    const length = fstatSync(this.fd).size;
    if (length === 0) return undefined;
    // One slot long until the second slot is first written.
    if (length !== HEAD_SLOT_BYTES && length !== 2 * HEAD_SLOT_BYTES)
      throw corrupt(`${HEAD_FILE} is ${length} bytes, not ${2 * HEAD_SLOT_BYTES}`);
    let best: { head: SignedHead; slot: 0 | 1 } | undefined;
    for (const slot of [0, 1] as const) {
      const read = this.readSlot(slot);
      if (read.kind !== 'note') continue;
      let signed;
      try {
        signed = signer.verify(read.note);
      } catch (err) {
        throw corrupt(`${HEAD_FILE} slot ${slot} does not verify (${firstLine(err)})`);
      }
      const head = { note: read.note, size: signed.size, root: signed.root };
      if (best === undefined || head.size > best.head.size) best = { head, slot };
    }
    if (best !== undefined) this.current = best.slot;
    return best?.head;
  }

  /**
   * Writes `note` into the free slot (a completed write, not yet synced) and returns how
   * to make it durable (with `flush`, an fdatasync) and how to take it back if the batch
   * fails.
   */
  write(
    note: string,
    flush: (fd: number) => Promise<void> = datasync,
  ): { readonly sync: () => Promise<void>; readonly undo: () => void } {
    const bytes = new TextEncoder().encode(note);
    if (bytes.length > HEAD_SLOT_BYTES - SLOT_HEADER)
      throw new RangeError(`checkpoint note of ${bytes.length} bytes does not fit a head slot`);
    const slot: 0 | 1 = this.current === 0 ? 1 : 0;
    const buf = Buffer.alloc(HEAD_SLOT_BYTES);
    buf.writeUInt32LE(bytes.length, 0);
    buf.set(sha256(bytes), 4);
    buf.set(bytes, SLOT_HEADER);
    writeFully(this.fd, buf, slot * HEAD_SLOT_BYTES);
    return {
      sync: async () => {
        await flush(this.fd);
        this.current = slot;
      },
      // A cleared slot reads as empty: a failed batch must not leave a head over leaves
      // the files no longer hold (the next open would take it for a cut).
      undo: () => writeFully(this.fd, Buffer.alloc(HEAD_SLOT_BYTES), slot * HEAD_SLOT_BYTES),
    };
  }

  /** Writes and syncs `note` (start-up: the first head, or one over an unsigned tail). */
  async put(note: string): Promise<void> {
    await this.write(note).sync();
  }

  close(): void {
    closeSync(this.fd);
  }

  private readSlot(slot: 0 | 1): SlotRead {
    const buf = Buffer.alloc(HEAD_SLOT_BYTES);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, slot * HEAD_SLOT_BYTES + got);
      if (n === 0) break;
      got += n;
    }
    if (buf.every((b) => b === 0)) return { kind: 'empty' };
    const length = buf.readUInt32LE(0);
    if (length === 0 || length > HEAD_SLOT_BYTES - SLOT_HEADER) return { kind: 'torn' };
    const bytes = buf.subarray(SLOT_HEADER, SLOT_HEADER + length);
    if (Buffer.compare(Buffer.from(sha256(bytes)), buf.subarray(4, SLOT_HEADER)) !== 0)
      return { kind: 'torn' };
    return { kind: 'note', note: new TextDecoder('utf-8', { fatal: false }).decode(bytes) };
  }
}

function corrupt(msg: string): AuditCorruptionError {
  return new AuditCorruptionError(`audit log corrupt: ${msg}`);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
