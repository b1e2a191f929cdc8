import type { DeployWatch } from '../quorum/deploy-watch.js';

/** Longest hold without re-reading the store, even when no notification came (ms). */
export const DEFAULT_RECHECK_MS = 10_000;

export interface HoldOptions<T> {
  readonly watch: DeployWatch;
  readonly id: string;
  /** How long to hold at most, in real milliseconds (docs/protocol.md §10: `wait` seconds). */
  readonly waitMs: number;
  /** Reads the deploy (the store is the truth; notifications only say "read again"). */
  read(): Promise<T>;
  /** True while the reading is `pending` (holding goes on). */
  isPending(reading: T): boolean;
  /** Injected-clock ms until the reading turns `expired` by itself (wake then to say so). */
  msUntilExpiry(reading: T): number;
  /** Aborts the hold (client disconnected); the last reading is returned. */
  readonly signal?: AbortSignal | undefined;
  /** Re-read at least this often (ms), covering a lost pub/sub message. */
  readonly recheckMs?: number;
}

/**
 * Holds a deploy read until its state is no longer `pending`, it expires, `waitMs` pass or
 * `signal` aborts, and returns the last reading. The watcher is registered BEFORE each
 * read, so a change that lands between the read and the wait still wakes it. Time held is
 * measured on the monotonic clock; the deploy's own expiry on the injected one.
 */
export async function holdWhilePending<T>(options: HoldOptions<T>): Promise<T> {
  const started = performance.now();
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  for (;;) {
    const watcher = options.watch.watch(options.id);
    try {
      const reading = await options.read();
      const left = options.waitMs - (performance.now() - started);
      if (!options.isPending(reading) || left <= 0 || options.signal?.aborted === true)
        return reading;
      // +1 ms: a deploy is still pending AT expiresAt and expired just after it.
      const expiry = Math.max(0, options.msUntilExpiry(reading) + 1);
      await wakeOnFirst(watcher.changed, Math.min(left, expiry, recheckMs), options.signal);
    } finally {
      watcher.close();
    }
  }
}

/** Resolves on `changed`, after `ms`, or when `signal` aborts, whichever is first. */
function wakeOnFirst(changed: Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    void changed.then(done);
  });
}
