import { fdatasyncSync, ftruncateSync } from 'node:fs';
import { writeFully } from './log-files.js';

/** Zeros kept written past the last record while the file is open. */
export const RUNWAY_BYTES = 1024 * 1024;
/** Only a batch of at most this many bytes writes a new runway. */
export const RUNWAY_MAX_BATCH_BYTES = 64 * 1024;

let runwayZeros: Buffer | undefined;
/** RUNWAY_BYTES of zeros, allocated on first use and only read after. */
function zeros(): Buffer {
  runwayZeros ??= Buffer.alloc(RUNWAY_BYTES);
  return runwayZeros;
}

/**
 * Zeros kept written past the last record of an append-only file while it is open (the
 * audit log's entries.log, the delivery outbox's journal). A batch then overwrites blocks
 * the file already has, so its fdatasync flushes data only and ext4 commits no new file
 * size (measured in docs/audit.md). A crash leaves the zeros behind the last record, where
 * the file's open() cuts them as an unacknowledged tail; `trim` cuts them on a clean close.
 */
export class Runway {
  /** End of the zeros; at most the data's end when none is left. */
  #end: number;

  constructor(dataEnd: number) {
    this.#end = dataEnd;
  }

  /**
   * Call after writing a batch of `batchBytes` that ends at `dataEnd`, before its
   * fdatasync: once the batch has used the zeros up, the next stretch goes out with it, so
   * the file grows about once per RUNWAY_BYTES of records. A larger batch gets none: its
   * flush is mostly its own data, and zeros written ahead of it would double that.
   */
  extend(fd: number, dataEnd: number, batchBytes: number): void {
    if (dataEnd <= this.#end || batchBytes > RUNWAY_MAX_BATCH_BYTES) return;
    writeFully(fd, zeros(), dataEnd);
    this.#end = dataEnd + RUNWAY_BYTES;
  }

  /** The file was rewritten up to `dataEnd`: no zeros follow it now. */
  reset(dataEnd: number): void {
    this.#end = dataEnd;
  }

  /** Cuts the file back to `dataEnd` (a failed batch), zeros and all; not synced. */
  cutBack(fd: number, dataEnd: number): void {
    this.#end = dataEnd;
    ftruncateSync(fd, dataEnd);
  }

  /** Cuts the zeros after `dataEnd` and makes the cut durable (a clean close). */
  trim(fd: number, dataEnd: number): void {
    if (this.#end <= dataEnd) return;
    ftruncateSync(fd, dataEnd);
    fdatasyncSync(fd);
    this.#end = dataEnd;
  }
}
