import { fdatasyncSync, fstatSync, ftruncateSync } from 'node:fs';
import { AuditCorruptionError } from '../log-store.js';
import { HASH_BYTES, rootNodes } from '../merkle.js';
import { AppendWriter } from './append-writer.js';
import { MAX_TORN_TAIL_BYTES, OFFSET_BYTES, readOffset, writeOffset } from './batch-limits.js';
import { type LogFiles, FILE_NAMES } from './log-files.js';
import { HEAD_FILE } from './head-file.js';
import {
  MAX_LEAF_BYTES_HARD,
  RECORD_HEADER_BYTES,
  leafHashAt,
  recordChecksumOk,
} from './record-format.js';
import { BlockBoard } from './block-board.js';
import { sameHash } from './hash-bytes.js';
import {
  type LogFileSizes,
  checkBlocksFromFront,
  recordReaders,
  verifiedPrefix,
} from './record-check.js';
import { storedHashCount, storedHashIndex, trailingOnes } from './tlog-layout.js';
import {
  type RunningCheck,
  checkInteriorHashes,
  checkInteriorHashesInWorker,
  nodeHashInto,
  readCompactRange,
} from './tree-check.js';

/** The durable state open() hands to the store. */
export interface RecoveredLog {
  /** Number of verified leaves. */
  readonly count: number;
  /** Byte length of the verified entries file. */
  readonly entriesEnd: number;
  /** Compact range: hashes of the perfect subtrees covering [0, count), left to right. */
  readonly stack: Uint8Array[];
}

const corrupt = (msg: string): AuditCorruptionError =>
  new AuditCorruptionError(`audit log corrupt: ${msg}`);

/** Largest n with storedHashCount(n) ≤ hashes: the leaves whose hashes are all on disk. */
function leavesCovered(hashes: number): number {
  let lo = 0;
  let hi = hashes;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (storedHashCount(mid) <= hashes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Tuning for recoverLog (tests use tiny blocks to exercise the block protocol). */
export interface RecoveryOptions {
  /** Use a worker thread from this many leaves (below: all checks inline). */
  readonly workerFromLeaves: number;
  /** Records per block shared between the threads. */
  readonly blockLeaves?: number;
  /** False leaves every record block to the worker (tests of the worker's share). */
  readonly mainTakesBlocks?: boolean;
  /**
   * Leaves the stored signed head covers (head.bin): they were acknowledged, so a record
   * below it that is missing or damaged refuses the open, and nothing below it is ever cut.
   */
  readonly acknowledged?: number;
  /**
   * Ignore offsets.bin and hashes.bin and recompute both from entries.log (overwriting
   * them only once every record checked out). For a signing log, where entries.log and
   * head.bin are the durable pair and the other two are indexes a power loss can leave
   * behind (group-commit.ts).
   */
  readonly rebuildIndexes?: boolean;
}

/** ~6 MB of typical records: small enough to balance the threads, big enough to stream. */
const DEFAULT_BLOCK_LEAVES = 16_384;
/** Blocks grow past this count, so the board's memory (20 bytes a block) stays bounded. */
const MAX_BLOCKS = 4096;

/**
 * Verifies the whole log and repairs only an unacknowledged tail. Every record's leaf hash
 * (its checksum) is recomputed and compared with hashes.bin and offsets.bin, and every
 * interior hash of hashes.bin is recomputed from the hashes below it. With a worker
 * (`workerFromLeaves` and up) both cores work: the worker checks the tree, then takes
 * record blocks from the back while the main thread takes them from the front
 * (block-board.ts); the main thread then continues sequentially from the end of the
 * verified blocks (all of them, unless something failed), and that sequential pass is
 * what names any damage and cuts a torn tail. Throws AuditCorruptionError (one line) when
 * anything acknowledged is damaged or missing.
 */
export async function recoverLog(files: LogFiles, opts: RecoveryOptions): Promise<RecoveredLog> {
  const onDisk = {
    entriesSize: fstatSync(files.entries).size,
    hashesSize: fstatSync(files.hashes).size,
    offsetsSize: fstatSync(files.offsets).size,
  };
  // Rebuilding: the indexes are read as empty, so every offset and hash is recomputed.
  const rebuild = opts.rebuildIndexes === true;
  const sizes: LogFileSizes = {
    ...files,
    ...onDisk,
    ...(rebuild ? { hashesSize: 0, offsetsSize: 0 } : {}),
  };
  const { entriesSize, hashesSize, offsetsSize } = sizes;
  const storedHashes = Math.floor(hashesSize / HASH_BYTES);
  const storedOffsets = Math.floor(offsetsSize / OFFSET_BYTES);
  const hashLeaves = leavesCovered(storedHashes);
  // Records whose offset and leaf hash are both stored can be checked in any order.
  const blockable = Math.min(storedOffsets, hashLeaves);
  const board = BlockBoard.create(
    blockable,
    Math.max(1, opts.blockLeaves ?? DEFAULT_BLOCK_LEAVES, Math.ceil(blockable / MAX_BLOCKS)),
  );
  let check: RunningCheck | null =
    hashLeaves >= opts.workerFromLeaves
      ? checkInteriorHashesInWorker({
          fd: files.hashes,
          fileSize: hashesSize,
          leaves: hashLeaves,
          records: { files: sizes, board: board.data },
        })
      : null;
  try {
    const readers = recordReaders(sizes);
    if (opts.mainTakesBlocks !== false || check === null) checkBlocksFromFront(readers, board);
    if (check !== null && (opts.mainTakesBlocks === false || board.workerBusy())) {
      await check.result; // the worker settles once its blocks are finished
    }
    const verified = verifiedPrefix(board);
    const { entries, hashes, offsets } = readers;
    const hashOut = new AppendWriter(files.hashes);
    const offsetOut = new AppendWriter(files.offsets);
    const scratch = new Uint8Array(1 + 2 * HASH_BYTES);
    let stack: Uint8Array[] | null = null;
    // The sequential pass: from the end of the verified blocks to the end of the files.
    let count = verified.count;
    let pos = verified.pos;
    let hashPos = storedHashIndex(0, count);
    let stopped: 'incomplete' | 'checksum' | null = null;

    const mismatch = (): AuditCorruptionError =>
      corrupt(
        `${FILE_NAMES.hashes} hash #${hashPos} (leaf ${count}) does not match ${FILE_NAMES.entries}`,
      );
    // A computed hash is compared with the stored one when there is one, else queued.
    const checkHash = (h: Uint8Array): void => {
      if (hashPos < storedHashes) {
        const at = hashes.locate(hashPos * HASH_BYTES, HASH_BYTES);
        if (hashes.buffer.compare(h, 0, HASH_BYTES, at, at + HASH_BYTES) !== 0) throw mismatch();
      } else {
        hashOut.push(h, hashPos * HASH_BYTES);
      }
      hashPos += 1;
    };

    while (pos < entriesSize) {
      let at = entries.locate(pos, RECORD_HEADER_BYTES);
      const len = at < 0 ? -1 : entries.buffer.readUInt32LE(at);
      if (len < 0 || len > MAX_LEAF_BYTES_HARD || pos + RECORD_HEADER_BYTES + len > entriesSize) {
        stopped = 'incomplete';
        break;
      }
      at = entries.locate(pos, RECORD_HEADER_BYTES + len);
      if (!recordChecksumOk(entries.buffer, at, len)) {
        stopped = 'checksum';
        break;
      }
      if (count < storedOffsets) {
        const slot = offsets.locate(count * OFFSET_BYTES, OFFSET_BYTES);
        if (readOffset(offsets.buffer, slot) !== pos) {
          throw corrupt(
            `${FILE_NAMES.offsets} entry ${count} does not match ${FILE_NAMES.entries}`,
          );
        }
      } else {
        offsetOut.push(writeOffset(pos), count * OFFSET_BYTES);
      }
      if (count < hashLeaves) {
        // Leaf hash only; the interior hashes above it belong to the tree check. The record's
        // checksum equals its recomputed leaf hash (checked above), so compare stored bytes.
        const slot = hashes.locate(hashPos * HASH_BYTES, HASH_BYTES);
        if (!sameHash(entries.buffer, at + 4, hashes.buffer, slot)) throw mismatch();
        hashPos += 1 + trailingOnes(count);
      } else {
        // Beyond the fully stored hashes: continue the tree from the stored compact range.
        stack ??= readCompactRange(files.hashes, rootNodes(count));
        let h = leafHashAt(entries.buffer, at, len);
        checkHash(h);
        for (let t = trailingOnes(count); t > 0; t--) {
          h = nodeHashInto(scratch, stack.pop() as Uint8Array, h);
          checkHash(h);
        }
        stack.push(h);
      }
      count += 1;
      pos += RECORD_HEADER_BYTES + len;
    }

    // Write order per batch is entries, then offsets, then hashes (each complete before the
    // next starts). So, as long as completed writes survive (a killed process), an offset or
    // hash for leaf `count` proves its record was completely written: if that record is now
    // missing or damaged, data was lost or altered. (A power loss can break that order for
    // the indexes a signing log does not sync per batch: its open() then rebuilds them.)
    if (count < storedOffsets || storedHashCount(count) < storedHashes) {
      const what = stopped === null ? 'is missing' : `at byte ${pos} is damaged`;
      const witness = count < storedOffsets ? FILE_NAMES.offsets : FILE_NAMES.hashes;
      throw corrupt(`${FILE_NAMES.entries} record ${count} ${what} but ${witness} records it`);
    }
    // The signed head vouches for its leaves too, whatever the indexes say (and with
    // indexes rebuilt, it alone does). Checked before anything is cut.
    const acknowledged = opts.acknowledged ?? 0;
    if (count < acknowledged) {
      throw corrupt(
        stopped === null
          ? `${HEAD_FILE} signs ${acknowledged} entries but the files hold ${count} (acknowledged entries were cut)`
          : `${FILE_NAMES.entries} record ${count} at byte ${pos} is damaged but ${HEAD_FILE} signs ${acknowledged} entries`,
      );
    }
    // Otherwise the bad bytes are the unacknowledged tail of one interrupted batch; a longer
    // stretch cannot come from a crash and means the middle of the file was damaged.
    if (stopped !== null && entriesSize - pos > MAX_TORN_TAIL_BYTES) {
      throw corrupt(
        `${FILE_NAMES.entries} record ${count} at byte ${pos} is damaged (${stopped}) and ${entriesSize - pos} bytes follow`,
      );
    }
    const tree = check
      ? await check.result
      : checkInteriorHashes(files.hashes, hashesSize, hashLeaves);
    check = null;
    if (tree.badHash !== null) {
      throw corrupt(
        `${FILE_NAMES.hashes} hash #${tree.badHash} (leaf ${tree.leaf}) does not match the hashes below it`,
      );
    }

    hashOut.flush();
    offsetOut.flush();
    let repaired = hashOut.wrote || offsetOut.wrote;
    for (const [fd, size, want] of [
      [files.entries, onDisk.entriesSize, pos],
      [files.hashes, onDisk.hashesSize, hashPos * HASH_BYTES],
      [files.offsets, onDisk.offsetsSize, count * OFFSET_BYTES],
    ] as const) {
      if (size !== want) {
        ftruncateSync(fd, want);
        repaired = true;
      }
    }
    if (repaired) {
      fdatasyncSync(files.entries);
      fdatasyncSync(files.hashes);
      fdatasyncSync(files.offsets);
    }
    return {
      count,
      entriesEnd: pos,
      stack: stack ?? readCompactRange(files.hashes, rootNodes(count)),
    };
  } finally {
    check?.cancel();
  }
}
