/**
 * Bounds on held `GET /v1/deploys/<id>?wait=` requests (docs/protocol.md §10): each held request
 * keeps a socket, a timer and a watcher alive for up to 60 s, so one client — or all of
 * them together — must not be able to pile up unbounded numbers of them.
 */

/** Default: held requests one client may have at once. */
export const DEFAULT_WAITS_PER_CLIENT = 16;
/** Default: held requests the instance holds at once, all clients together. */
export const DEFAULT_WAITS_TOTAL = 1024;

export type WaitSlot =
  | { readonly ok: true; release(): void }
  | { readonly ok: false; readonly full: 'client' | 'total' };

/** Counts held requests per client and in total; each slot is released exactly once. */
export class WaitSlots {
  readonly #perClient: number;
  readonly #total: number;
  readonly #byClient = new Map<string, number>();
  #held = 0;

  constructor(options: { perClient?: number; total?: number } = {}) {
    this.#perClient = options.perClient ?? DEFAULT_WAITS_PER_CLIENT;
    this.#total = options.total ?? DEFAULT_WAITS_TOTAL;
    if (!Number.isSafeInteger(this.#perClient) || this.#perClient < 0)
      throw new RangeError('perClient must be a non-negative integer');
    if (!Number.isSafeInteger(this.#total) || this.#total < 0)
      throw new RangeError('total must be a non-negative integer');
  }

  /** Takes a slot for `clientId`, or says which bound is reached. */
  acquire(clientId: string): WaitSlot {
    const mine = this.#byClient.get(clientId) ?? 0;
    if (mine >= this.#perClient) return { ok: false, full: 'client' };
    if (this.#held >= this.#total) return { ok: false, full: 'total' };
    this.#byClient.set(clientId, mine + 1);
    this.#held += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#held -= 1;
        const left = (this.#byClient.get(clientId) ?? 1) - 1;
        if (left === 0) this.#byClient.delete(clientId);
        else this.#byClient.set(clientId, left);
      },
    };
  }

  /** Requests held right now (all clients). */
  get held(): number {
    return this.#held;
  }
}
