/**
 * Port: change notifications for deploys, so a held `GET /v1/deploys/<id>?wait=` (docs/protocol.md
 * §10) answers as soon as the deploy changes, on whichever instance the change happened.
 * Adapters: {@link MemoryDeployWatch} (one process) and `redis/redis-deploy-watch.ts`
 * (Redis pub/sub across instances).
 *
 * A notification only says "look again": the waiter re-reads the store, which stays the
 * single source of truth, so a lost or spurious notification can delay an answer but never
 * make it wrong.
 */
export interface DeployWatch {
  /**
   * Starts listening for changes of deploy `id` NOW (before the caller reads the store, so
   * a change between that read and the wait is not missed). `changed` resolves on the next
   * notification for `id`; `close` stops listening (always call it).
   */
  watch(id: string): DeployWatcher;
  /** Announces that deploy `id` changed (after the change is stored). Never throws. */
  notify(id: string): void;
  close(): Promise<void>;
}

export interface DeployWatcher {
  readonly changed: Promise<void>;
  close(): void;
}

/**
 * In-process watch: a set of wakers per deploy id. Memory is bounded by the number of held
 * requests (each removes its waker on close), which the wait limiter caps.
 */
export class MemoryDeployWatch implements DeployWatch {
  readonly #waiters = new Map<string, Set<() => void>>();

  watch(id: string): DeployWatcher {
    let wake!: () => void;
    const changed = new Promise<void>((resolve) => (wake = resolve));
    let set = this.#waiters.get(id);
    if (set === undefined) this.#waiters.set(id, (set = new Set()));
    set.add(wake);
    return {
      changed,
      close: () => {
        const current = this.#waiters.get(id);
        current?.delete(wake);
        if (current?.size === 0) this.#waiters.delete(id);
      },
    };
  }

  notify(id: string): void {
    const set = this.#waiters.get(id);
    if (set === undefined) return;
    for (const wake of set) wake();
  }

  /** Number of held watchers (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  close(): Promise<void> {
    this.#waiters.clear();
    return Promise.resolve();
  }
}
