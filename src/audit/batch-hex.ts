import { toHex } from '../crypto/index.js';

/**
 * Lowercase hex of the hashes of ONE batch, for its receipts. Every receipt of a batch
 * carries ~log2(size) proof nodes, and the receipts of one batch share most of them (the
 * old tree's perfect subtrees, the batch's own nodes), so hex-encoding each once per batch
 * instead of once per receipt saves most of that work; the hashes the batch makes arrive
 * here already in hex (a hex digest is the cheap one in node:crypto).
 *
 * Deliberately scoped to one batch: the group committer makes one, fills it while it
 * builds the batch and drops it before any append resolves, so a hex string can never
 * outlive the synchronous step that read its bytes. (A process-wide cache keyed by hash
 * object was tried and removed: it tied receipts to stored hashes never being modified.)
 */
export class BatchHex {
  private readonly byHash = new Map<Uint8Array, string>();

  /** Records that `hash` (made from `hex` in this step) is `hex`. */
  put(hash: Uint8Array, hex: string): void {
    this.byHash.set(hash, hex);
  }

  /** Lowercase hex of `hash`: recorded or computed now (then kept for this batch). */
  of(hash: Uint8Array): string {
    let hex = this.byHash.get(hash);
    if (hex === undefined) {
      hex = toHex(hash);
      this.byHash.set(hash, hex);
    }
    return hex;
  }
}
