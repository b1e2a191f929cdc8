/**
 * File-backed MerkleLogStore.
 *
 * Layout on disk (one directory, e.g. $GATEWAY_DATA_DIR/audit, files 0600):
 * - `entries.log`  records `u32 LE length ‖ 32-byte leaf hash ‖ 0x00 ‖ leaf bytes`, in
 *                  index order. The leaf hash doubles as the record checksum. While
 *                  open, zeros follow the last record (the runway, group-commit.ts);
 *                  close() cuts them.
 * - `offsets.bin`  8 bytes per leaf: the byte offset of record i, so `leaf(i)` is O(1).
 * - `hashes.bin`   32-byte tree hashes in the Go sumdb/tlog dense order (tlog-layout.ts):
 *                  appending leaf n writes its leaf hash plus one hash per trailing 1 bit
 *                  of n; the hash of any perfect subtree is one positional read, so roots
 *                  and proofs read O(log n) hashes.
 * - `head.bin`     with a HeadSigner: the latest signed checkpoint, in two alternating
 *                  slots (head-file.ts), written after each batch's records and synced
 *                  with them. open() refuses files that no longer hold the signed tree.
 * - `writer.lock`  pid of the one process allowed to append (stale after a crash: taken over).
 * Memory holds only the size, the entries length and the compact range (≤ 64 hashes),
 * plus fixed read buffers while open() verifies.
 *
 * Group commit: appends queue while a batch is being written; a batch writes entries,
 * then offsets, then hashes (each write complete before the next starts), then its signed
 * head, and only after the fdatasyncs advances the durable size and resolves its appends.
 * A signing log syncs entries.log and head.bin (the records and the head that signs them);
 * offsets.bin and hashes.bin are indexes derived from entries.log, rebuilt by open() when a
 * power loss left them disagreeing (recoverSigned). Without a signer all three are synced.
 *
 * Crash recovery (recovery.ts): open() re-reads everything: it recomputes every leaf hash
 * (checking each record's framing and checksum) and compares it with hashes.bin, checks
 * every offset, and checks every interior hash of hashes.bin against the hashes below it
 * (for big logs a worker thread checks the tree, then shares the record checks in blocks:
 * record-check.ts, block-board.ts). Because of the write order, an offset or hash for
 * leaf n proves record n was completely written, so a damaged or missing record that the
 * other files vouch for means acknowledged data was altered: open() refuses with a
 * one-line AuditCorruptionError, as it does for any stored hash or offset that disagrees
 * with the entries. Only a bad stretch at the end of entries.log that nothing vouches
 * for, no longer than one batch and the runway, is an interrupted unacknowledged batch:
 * it is cut, and missing offsets/hashes of intact records are recomputed. So a fsynced
 * (acknowledged) entry is never dropped silently. (The vouching argument assumes
 * completed writes survive, as they do when the process is killed. After a power loss
 * the indexes of a signing log may disagree with entries.log: they are rebuilt from it,
 * the records the head signed must all be intact (never cut), and the rebuilt tree must
 * have the signed root.)
 */
import { readSync } from 'node:fs';
import {
  type FileLogStoreOptions,
  type HeadSigner,
  type MerkleLogStore,
  type SignedHead,
  type StoredLeaf,
  AuditCorruptionError,
} from '../log-store.js';
import {
  type HashAt,
  HASH_BYTES,
  consistencyProof,
  inclusionProof,
  isTreeSize,
  rootOf,
} from '../merkle.js';
import { constantTimeEqual, toHex } from '../../crypto/index.js';
import { frontierRoot } from '../batch-tree.js';
import type { RecoveredLog } from './recovery.js';
import {
  MAX_LEAF_BYTES_HARD,
  RECORD_HEADER_BYTES,
  leafHashOfRecord,
  storedLeafHash,
} from './record-format.js';
import { type CommitHeads, GroupCommitter } from './group-commit.js';
import { Flusher } from './flusher.js';
import { HEAD_FILE, HeadFile } from './head-file.js';
import { type LogFiles, closeLogFiles, openLogFiles } from './log-files.js';
import { OFFSET_BYTES, readOffset } from './batch-limits.js';
import { lockLogDir } from './dir-lock.js';
import { recoverLog } from './recovery.js';
import { storedHashIndex } from './tlog-layout.js';

const DEFAULT_MAX_LEAF_BYTES = 1024 * 1024;
/** Below this many leaves a worker thread costs more than the verification it would share. */
const DEFAULT_WORKER_FROM_LEAVES = 50_000;

/** Opens (creating if needed) the log in `dir`, verifying it and cutting a torn tail. */
export async function openFileLogStore(
  dir: string,
  opts: FileLogStoreOptions = {},
): Promise<MerkleLogStore> {
  const maxLeafBytes = opts.maxLeafBytes ?? DEFAULT_MAX_LEAF_BYTES;
  if (!isTreeSize(maxLeafBytes) || maxLeafBytes > MAX_LEAF_BYTES_HARD) {
    throw new RangeError(`maxLeafBytes must be an integer in 0..${MAX_LEAF_BYTES_HARD}`);
  }
  const files = openLogFiles(dir);
  let unlock: (() => void) | undefined;
  let headFile: HeadFile | undefined;
  try {
    unlock = lockLogDir(dir);
    const workerFromLeaves = opts.verifyInWorkerFromLeaves ?? DEFAULT_WORKER_FROM_LEAVES;
    let heads: CommitHeads | undefined;
    let state: RecoveredLog;
    if (opts.signer === undefined) {
      state = await recoverLog(files, { workerFromLeaves });
    } else {
      headFile = HeadFile.open(dir);
      const stored = headFile.load(opts.signer);
      state = await recoverSigned(files, workerFromLeaves, stored, opts.onIndexesRebuilt);
      const head = await checkHead(
        files,
        state,
        headFile,
        stored,
        opts.signer,
        opts.adoptUnsignedLog,
      );
      heads = { signer: opts.signer, file: headFile, head };
    }
    const committer = new GroupCommitter(
      files,
      state,
      new Flusher(opts.flush),
      heads,
      opts.observe,
    );
    return new FileLogStore(files, committer, maxLeafBytes, unlock, headFile);
  } catch (err) {
    unlock?.();
    headFile?.close();
    closeLogFiles(files);
    throw err;
  }
}

/**
 * Recovery of a signing log. Its batches fdatasync only entries.log and head.bin, so after
 * a power loss offsets.bin and hashes.bin may be short, hold a batch entries.log lost, or
 * hold stale pages: when the indexes disagree with entries.log they are rebuilt from it,
 * and checkHead then requires the rebuilt tree to be the one the head signed. Records the
 * head signed are never cut (`acknowledged`), and damage to them still refuses the open.
 * Without a stored head the indexes are the only witnesses of complete records: no rebuild.
 */
async function recoverSigned(
  files: LogFiles,
  workerFromLeaves: number,
  stored: SignedHead | undefined,
  onRebuilt: ((reason: string) => void) | undefined,
): Promise<RecoveredLog> {
  const acknowledged = stored?.size ?? 0;
  try {
    return await recoverLog(files, { workerFromLeaves, acknowledged });
  } catch (err) {
    if (!(err instanceof AuditCorruptionError) || stored === undefined) throw err;
    const state = await recoverLog(files, { workerFromLeaves, acknowledged, rebuildIndexes: true });
    onRebuilt?.(err.message);
    return state;
  }
}

/**
 * The signed head against the verified files: the files must hold at least the signed
 * tree (a head on disk was written after its records, so fewer leaves means acknowledged
 * entries were cut), and exactly that tree (same root). Leaves past the head are a batch
 * that was complete on disk but never acknowledged; the head is then re-signed over them,
 * which extends the old one because the files' tree hashes were verified. Returns the
 * durable head the committer starts from.
 */
async function checkHead(
  files: LogFiles,
  state: RecoveredLog,
  headFile: HeadFile,
  stored: SignedHead | undefined,
  signer: HeadSigner,
  adopt: boolean | undefined,
): Promise<SignedHead> {
  const n = state.count;
  const hashAt: HashAt = (level, index) =>
    readExactly(files.hashes, HASH_BYTES, storedHashIndex(level, index) * HASH_BYTES);
  const root = (size: number): Uint8Array =>
    size === n ? frontierRoot(state.stack) : rootOf(size, hashAt);
  if (stored === undefined) {
    if (n > 0 && adopt !== true)
      throw new AuditCorruptionError(
        `audit log corrupt: ${HEAD_FILE} is missing or empty but the log holds ${n} entries`,
      );
  } else {
    // stored.size ≤ n: recoverLog refused fewer leaves than the head signs.
    const rootThere = root(stored.size);
    if (!constantTimeEqual(rootThere, stored.root))
      throw new AuditCorruptionError(
        `audit log corrupt: the first ${stored.size} entries hash to ${toHex(rootThere)}, not the root ${HEAD_FILE} signed`,
      );
    if (stored.size === n) return stored;
  }
  const rootN = root(n);
  const signed = { size: n, root: rootN, note: signer.sign(n, rootN) };
  await headFile.put(signed.note);
  return signed;
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) {
      throw new AuditCorruptionError(
        'audit log corrupt: a stored file is shorter than its index says',
      );
    }
    got += n;
  }
  return buf;
}

class FileLogStore implements MerkleLogStore {
  private closed = false;

  constructor(
    private readonly files: LogFiles,
    private readonly committer: GroupCommitter,
    private readonly maxLeafBytes: number,
    private readonly unlock: () => void,
    private readonly headFile?: HeadFile,
  ) {
    // Only a signing store has a signed head to offer (log-store.ts: absent otherwise).
    if (headFile !== undefined) this.latest = () => this.signedHead();
  }

  latest?: () => Promise<SignedHead>;

  /** The latest durable signed head: it always covers exactly the durable size. */
  private async signedHead(): Promise<SignedHead> {
    if (this.closed) throw new Error('audit log store is closed');
    return this.committer.head as SignedHead;
  }

  append(leaf: Uint8Array): Promise<StoredLeaf> {
    if (this.closed) return Promise.reject(new Error('audit log store is closed'));
    if (!(leaf instanceof Uint8Array)) {
      return Promise.reject(new TypeError('leaf must be a Uint8Array'));
    }
    if (leaf.length > this.maxLeafBytes) {
      return Promise.reject(new RangeError(`leaf is larger than ${this.maxLeafBytes} bytes`));
    }
    // Copy: the caller may reuse its buffer before the batch is written.
    return this.committer.append(Uint8Array.from(leaf), leaf.length);
  }

  appendUtf8(text: string): Promise<StoredLeaf> {
    if (this.closed) return Promise.reject(new Error('audit log store is closed'));
    if (typeof text !== 'string' || !(text as unknown as WellFormed).isWellFormed())
      return Promise.reject(new TypeError('leaf text must be a well-formed string'));
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.maxLeafBytes)
      return Promise.reject(new RangeError(`leaf is larger than ${this.maxLeafBytes} bytes`));
    // No copy: a string is immutable; the committer encodes it into the batch buffer.
    return this.committer.append(text, bytes);
  }

  size(): number {
    return this.committer.size;
  }

  async rootAt(size: number): Promise<Uint8Array> {
    this.checkSize(size);
    if (size === this.committer.size) return this.committer.root();
    return rootOf(size, this.hashAt);
  }

  async leafHash(index: number): Promise<Uint8Array> {
    this.checkIndex(index, this.committer.size);
    return this.readHash(0, index);
  }

  async leaf(index: number): Promise<Uint8Array> {
    this.checkIndex(index, this.committer.size);
    const start = readOffset(readExactly(this.files.offsets, OFFSET_BYTES, index * OFFSET_BYTES));
    const end =
      index + 1 < this.committer.size
        ? readOffset(readExactly(this.files.offsets, OFFSET_BYTES, (index + 1) * OFFSET_BYTES))
        : this.committer.entriesEnd;
    // Offsets were verified at open, but bound the read anyway in case the file changed since.
    const length = end - start;
    if (!(length >= RECORD_HEADER_BYTES && length <= RECORD_HEADER_BYTES + MAX_LEAF_BYTES_HARD)) {
      throw new AuditCorruptionError(`audit log corrupt: bad offsets around leaf ${index}`);
    }
    const record = readExactly(this.files.entries, length, start);
    const body = record.subarray(RECORD_HEADER_BYTES);
    // Files can be damaged after open; never serve bytes that no longer match their hash.
    const intact =
      record.readUInt32LE(0) === body.length &&
      Buffer.compare(leafHashOfRecord(record), storedLeafHash(record)) === 0;
    if (!intact) {
      throw new AuditCorruptionError(
        `audit log corrupt: record ${index} no longer matches its checksum`,
      );
    }
    return new Uint8Array(body);
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    this.checkSize(size);
    this.checkIndex(index, size);
    return inclusionProof(index, size, this.hashAt);
  }

  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    this.checkSize(to);
    if (!isTreeSize(from) || from < 1 || from > to) {
      throw new RangeError(`from must be in 1..${to}`);
    }
    return consistencyProof(from, to, this.hashAt);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    try {
      this.committer.trimRunway();
    } catch {
      // Best effort: open() cuts a runway it finds, as after a crash.
    }
    this.headFile?.close();
    closeLogFiles(this.files);
    this.unlock();
  }

  private checkSize(size: number): void {
    if (this.closed) throw new Error('audit log store is closed');
    if (!isTreeSize(size) || size > this.committer.size) {
      throw new RangeError(`size must be in 0..${this.committer.size}`);
    }
  }

  private checkIndex(index: number, size: number): void {
    if (this.closed) throw new Error('audit log store is closed');
    if (!isTreeSize(index) || index >= size) {
      throw new RangeError(`index must be in 0..${size - 1}`);
    }
  }

  private readHash(level: number, index: number): Uint8Array {
    return readExactly(this.files.hashes, HASH_BYTES, storedHashIndex(level, index) * HASH_BYTES);
  }

  /** Positional reads of stored hashes (the durable part of hashes.bin never changes). */
  private readonly hashAt: HashAt = (level, index) => this.readHash(level, index);
}

/** `String.prototype.isWellFormed` (Node 20; the ES2024 lib is not in this project's tsconfig). */
interface WellFormed {
  isWellFormed(): boolean;
}
