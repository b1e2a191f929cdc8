import { fdatasyncSync } from 'node:fs';
import type { FlushMode } from '../log-store.js';
import { datasync } from './log-files.js';
import { usableCpus } from './usable-cpus.js';

/** An inline flush slower than this, on average, blocks the event loop too long. */
export const SLOW_FLUSH_MS = 1;
/** How long `auto` stays on the pool after inline flushes turned slow, before it re-measures. */
export const POOL_AFTER_SLOW_MS = 1000;
/** Weight of the newest inline flush in the running average (about the last 32 count). */
const AVERAGE_WEIGHT = 1 / 32;
/**
 * Each flush counts at most this much in the average: a disk that is slow on every flush
 * moves `auto` to the pool, while the rare flush of 5-20 ms that a fast disk also has
 * (seen on the machines measured) does not on its own.
 */
const COUNTED_AT_MOST_MS = 2 * SLOW_FLUSH_MS;
/**
 * The average `auto` starts from, at open and after each stretch on the pool: below the
 * limit, so that a fast disk stays inline, and close to it, so that a disk taking 2 ms or
 * more per flush is noticed within eight flushes.
 */
const STARTING_AVERAGE_MS = 0.75 * SLOW_FLUSH_MS;

export interface FlusherOptions {
  /** CPUs this process can keep busy (default `usableCpus()`: its CPUs, lowered by a CPU quota). */
  readonly cores?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
  /** The inline flush (default `fs.fdatasyncSync`); tests slow it down to stand for a slow disk. */
  readonly syncNow?: (fd: number) => void;
}

/**
 * Makes a file's written data durable (fdatasync), on the thread pool or inline.
 *
 * Why inline at all: with one CPU the pool thread runs on the event loop's own core, so
 * handing it a flush saves no CPU; it adds two thread switches and an event-loop wake-up
 * per flush, which on the virtual machines measured cost more than the flush itself
 * (bench/README.md, issue 19: 11-16% less CPU per request at half load, in every
 * alternated pair). The same holds under a CPU quota of one CPU or less (a container's
 * `--cpus=1`), measured too. With more the pool flushes in parallel with the event loop,
 * so `auto` keeps it there.
 *
 * An inline flush blocks the event loop for as long as the disk takes, which is cheap
 * only on a fast disk: `auto` with one CPU flushes inline while the running average of
 * inline flushes stays under SLOW_FLUSH_MS, and otherwise moves to the pool for
 * POOL_AFTER_SLOW_MS before it measures again. Either way the caller resolves only after
 * the fdatasync returned, so durability is the same.
 */
export class Flusher {
  readonly #mode: FlushMode;
  readonly #now: () => number;
  readonly #syncNow: (fd: number) => void;
  /** Running average of inline flush times (ms). */
  #averageMs = STARTING_AVERAGE_MS;
  /** `auto` with one CPU: inline again from this time on. */
  #poolUntil = -Infinity;

  constructor(mode: FlushMode = 'auto', options: FlusherOptions = {}) {
    const cores = options.cores ?? usableCpus();
    this.#mode = mode === 'auto' && cores > 1 ? 'pool' : mode;
    this.#now = options.now ?? (() => performance.now());
    this.#syncNow = options.syncNow ?? fdatasyncSync;
  }

  /** True when the next flush runs on the event loop. */
  get inline(): boolean {
    return this.#mode === 'inline' || (this.#mode === 'auto' && this.#now() >= this.#poolUntil);
  }

  /** fdatasyncs `fd`; resolves once it returned, rejects with its error. */
  sync(fd: number): Promise<void> {
    if (!this.inline) return datasync(fd);
    const start = this.#now();
    try {
      this.#syncNow(fd);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#mode === 'auto') this.#measured(this.#now() - start);
    return Promise.resolve();
  }

  #measured(ms: number): void {
    this.#averageMs += (Math.min(ms, COUNTED_AT_MOST_MS) - this.#averageMs) * AVERAGE_WEIGHT;
    if (this.#averageMs <= SLOW_FLUSH_MS) return;
    this.#poolUntil = this.#now() + POOL_AFTER_SLOW_MS;
    this.#averageMs = STARTING_AVERAGE_MS;
  }
}
