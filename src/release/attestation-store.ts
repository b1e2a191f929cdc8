/**
 * Port: where each deploy's release attestation is kept once built, so it is served byte
 * for byte the same on every later request (docs/protocol.md §10), from any instance. The first
 * envelope stored for a deploy wins; a concurrent second builder gets the first one back.
 * Adapters: {@link MemoryAttestationStore} and `redis-attestation-store.ts` (beside this port).
 */
export interface AttestationStore {
  get(deployId: string): Promise<string | undefined>;
  /** Stores `text` unless an attestation exists for `deployId`; resolves to the stored one. */
  putIfAbsent(deployId: string, text: string): Promise<string>;
}

/** How long an attestation is kept after it was built: a week of CI retries. */
export const ATTESTATION_RETAIN_MS = 7 * 24 * 3600 * 1000;
/** Most attestations one process keeps (a few KiB each). */
export const DEFAULT_MAX_ATTESTATIONS = 10_000;

/**
 * Single-process store: bounded by count (the oldest goes first) and by age. A restart
 * loses it, as it loses the in-memory deploys themselves.
 */
export class MemoryAttestationStore implements AttestationStore {
  readonly #items = new Map<string, { text: string; atMs: number }>();
  readonly #max: number;
  readonly #nowMs: () => number;

  constructor(options: { nowMs: () => number; max?: number }) {
    this.#nowMs = options.nowMs;
    this.#max = options.max ?? DEFAULT_MAX_ATTESTATIONS;
  }

  get(deployId: string): Promise<string | undefined> {
    const item = this.#items.get(deployId);
    if (item === undefined) return Promise.resolve(undefined);
    if (this.#nowMs() - item.atMs > ATTESTATION_RETAIN_MS) {
      this.#items.delete(deployId);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(item.text);
  }

  async putIfAbsent(deployId: string, text: string): Promise<string> {
    const existing = await this.get(deployId);
    if (existing !== undefined) return existing;
    // Map iteration is insertion order: the first key is the oldest.
    while (this.#items.size >= this.#max) {
      const oldest = this.#items.keys().next();
      if (oldest.done === true) break;
      this.#items.delete(oldest.value);
    }
    this.#items.set(deployId, { text, atMs: this.#nowMs() });
    return text;
  }
}
