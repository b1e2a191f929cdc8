import { constantTimeEqual, toHex } from '../crypto/index.js';
import { signCheckpoint, type NoteVerifier } from './checkpoint.js';
import type { MerkleLogStore } from './log-store.js';
import { verifyConsistency } from './merkle.js';

/** The last tree head the log signed: persisted so the promise holds across restarts. */
export interface SignedTreeHead {
  readonly size: number;
  /** 32-byte RFC 6962 root. */
  readonly root: Uint8Array;
}

/**
 * Port: durable record of the last signed tree head. Adapter: `checkpoint-state-file.ts`.
 * `save` resolves only once the record is durable; `load` throws if the record exists
 * but is unreadable (fail closed: a damaged record must not reset the guarantee).
 */
export interface SignedTreeHeadStore {
  load(): Promise<SignedTreeHead | undefined>;
  save(head: SignedTreeHead): Promise<void>;
}

/** A signed checkpoint and the tree head it covers. */
export interface SignedCheckpoint {
  readonly note: string;
  readonly size: number;
  readonly root: Uint8Array;
}

/** Refusal to sign: the tree is not an extension of the last signed tree (tampering or loss). */
export class CheckpointRefusedError extends Error {
  override readonly name = 'CheckpointRefusedError';
}

/**
 * Signs checkpoints of the log, at most once per tree size: the signed note is cached and
 * re-signed only when the tree grew. Before signing a new size it proves, with a
 * consistency proof checked by the verifier, that the tree extends the last tree head it
 * ever signed (persisted, so this holds across restarts); the new head is made durable
 * before the note is handed out. A log whose history was rewritten — an edited entry,
 * a truncated file, a swapped store — is therefore never signed again.
 */
export class CheckpointSigner {
  private cached: SignedCheckpoint | undefined;
  private last: SignedTreeHead | undefined;
  private loaded = false;
  private tail: Promise<unknown> = Promise.resolve();
  private signed = 0;

  constructor(
    private readonly store: Pick<MerkleLogStore, 'size' | 'rootAt' | 'consistencyProof'>,
    private readonly heads: SignedTreeHeadStore,
    private readonly verifier: NoteVerifier,
    private readonly secretKey: Uint8Array,
  ) {}

  /** How many notes this signer produced (the cache makes repeated reads free). */
  get signatures(): number {
    return this.signed;
  }

  /**
   * The signed checkpoint of the current tree.
   * @throws CheckpointRefusedError when the tree is inconsistent with the last signed head.
   */
  current(): Promise<SignedCheckpoint> {
    const size = this.store.size();
    const cached = this.cached;
    if (cached !== undefined && cached.size === size) return Promise.resolve(cached);
    // One refresh at a time: the persisted head must only move forward.
    const run = this.tail.then(() => this.refresh());
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async refresh(): Promise<SignedCheckpoint> {
    const size = this.store.size();
    if (this.cached !== undefined && this.cached.size >= size) return this.cached;
    if (!this.loaded) {
      this.last = await this.heads.load();
      this.loaded = true;
    }
    const root = await this.store.rootAt(size);
    const last = this.last;
    if (last !== undefined) await this.assertExtends(last, size, root);
    if (last === undefined || last.size !== size) {
      await this.heads.save({ size, root });
      this.last = { size, root };
    }
    const note = signCheckpoint(
      { origin: this.verifier.name, size, root },
      this.secretKey,
      this.verifier,
    );
    this.signed++;
    this.cached = { note, size, root };
    return this.cached;
  }

  private async assertExtends(last: SignedTreeHead, size: number, root: Uint8Array) {
    if (size < last.size)
      throw new CheckpointRefusedError(
        `audit log has ${size} entries but a checkpoint for ${last.size} was already signed`,
      );
    if (last.size === 0) return; // Every tree extends the empty tree.
    const proof = size === last.size ? [] : await this.store.consistencyProof(last.size, size);
    const ok =
      size === last.size
        ? constantTimeEqual(root, last.root)
        : verifyConsistency(last.size, size, proof, last.root, root);
    if (!ok)
      throw new CheckpointRefusedError(
        `audit log of ${size} entries (root ${toHex(root)}) is not consistent with the ` +
          `checkpoint signed for ${last.size} entries (root ${toHex(last.root)})`,
      );
  }
}
