import { readSync } from 'node:fs';

/**
 * Reads a file front to back in large chunks (open-time verification streams the whole
 * log; one syscall per few MiB instead of three per record). Memory is one chunk.
 */
export class SequentialReader {
  private buf: Buffer;
  private start = 0;
  private filled = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    chunkBytes = 4 * 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** The current chunk; positions from `locate` index into it. */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * Makes [pos, pos + len) of the file available in `buffer` and returns where it starts
   * there, or -1 when the file ends before that. Valid until the next call. Avoids a
   * view object per read: open() does several reads per leaf, a million leaves long.
   */
  locate(pos: number, len: number): number {
    if (pos + len > this.fileSize) return -1;
    if (pos < this.start || pos + len > this.start + this.filled) this.refill(pos, len);
    return pos - this.start;
  }

  /** The bytes [pos, pos + len) as a view, or null when the file ends before that. */
  view(pos: number, len: number): Buffer | null {
    const at = this.locate(pos, len);
    return at < 0 ? null : this.buf.subarray(at, at + len);
  }

  private refill(pos: number, len: number): void {
    if (len > this.buf.length) this.buf = Buffer.allocUnsafe(len);
    const want = Math.min(this.buf.length, this.fileSize - pos);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, this.buf, got, want - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    this.start = pos;
    this.filled = got;
    if (got < len) throw new Error('file shrank while being read');
  }
}
