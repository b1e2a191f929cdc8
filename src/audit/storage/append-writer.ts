import { writeFully } from './log-files.js';

/** Collects bytes for consecutive file positions and writes them in large pieces. */
export class AppendWriter {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private start = -1;
  wrote = false;

  constructor(private readonly fd: number) {}

  /** Queues `data` for `position`, which must follow the previous push. */
  push(data: Uint8Array, position: number): void {
    if (this.start < 0) this.start = position;
    if (position !== this.start + this.bytes)
      throw new Error('AppendWriter: positions must be consecutive');
    this.parts.push(Buffer.from(data));
    this.bytes += data.length;
    if (this.bytes >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.bytes === 0) return;
    writeFully(this.fd, Buffer.concat(this.parts), this.start);
    this.start += this.bytes;
    this.parts = [];
    this.bytes = 0;
    this.wrote = true;
  }
}
