/**
 * Shared-memory bookkeeping for checking the records of a log in blocks on two threads:
 * the main thread claims blocks from the front, the worker (once its tree check is done)
 * from the back, each block claimed exactly once (compare-and-swap), so neither waits for
 * the other and a slow or late worker just leaves more blocks to the main thread.
 *
 * A block's result is its start byte (where its checker began) and its end byte (-1 when
 * it did not verify). Blocks chain only if each start equals the previous end, which is
 * what makes a worker block's start, read from the untrusted offsets.bin, trustworthy.
 */
const FREE = 0;
const DONE = 1;
const BY = { main: 2, worker: 3 } as const;

/** Plain data, so it can be posted to a worker (the SharedArrayBuffers are shared). */
export interface BlockBoardData {
  readonly leaves: number;
  readonly blockLeaves: number;
  readonly states: SharedArrayBuffer;
  readonly bytes: SharedArrayBuffer;
}

export class BlockBoard {
  readonly blocks: number;
  private readonly state: Int32Array;
  private readonly bytes: Float64Array; // [start, end] per block

  constructor(readonly data: BlockBoardData) {
    this.blocks = Math.ceil(data.leaves / data.blockLeaves);
    this.state = new Int32Array(data.states);
    this.bytes = new Float64Array(data.bytes);
  }

  /** A board for records [0, leaves) in blocks of `blockLeaves`. */
  static create(leaves: number, blockLeaves: number): BlockBoard {
    const blocks = Math.ceil(leaves / blockLeaves);
    return new BlockBoard({
      leaves,
      blockLeaves,
      states: new SharedArrayBuffer(4 * blocks),
      bytes: new SharedArrayBuffer(16 * blocks),
    });
  }

  /** First record of block `j`. */
  from(j: number): number {
    return j * this.data.blockLeaves;
  }

  /** One past the last record of block `j`. */
  to(j: number): number {
    return Math.min((j + 1) * this.data.blockLeaves, this.data.leaves);
  }

  /** True if `by` now owns block `j` (false: the other thread took it). */
  claim(j: number, by: keyof typeof BY): boolean {
    return Atomics.compareExchange(this.state, j, FREE, BY[by]) === FREE;
  }

  /** True while the worker is still checking a block it claimed. */
  workerBusy(): boolean {
    for (let j = 0; j < this.blocks; j++)
      if (Atomics.load(this.state, j) === BY.worker) return true;
    return false;
  }

  /** Records block `j`'s result; the atomic store publishes the bytes written before it. */
  finish(j: number, start: number, end: number): void {
    this.bytes[2 * j] = start;
    this.bytes[2 * j + 1] = end;
    Atomics.store(this.state, j, DONE);
  }

  /** Block `j`'s [start, end], or null if it is not finished. */
  result(j: number): readonly [number, number] | null {
    if (Atomics.load(this.state, j) !== DONE) return null;
    return [this.bytes[2 * j] as number, this.bytes[2 * j + 1] as number];
  }
}
