import { fdatasyncSync, fstatSync, ftruncateSync } from 'node:fs';
import { AuditCorruptionError } from '../log-store.js';
import { sha256 } from '../../crypto/index.js';
import { HASH_BYTES } from '../merkle.js';
import { type LogFiles, FILE_NAMES, writeFully } from './log-files.js';
import {
  MAX_LEAF_BYTES_HARD,
  RECORD_HEADER_BYTES,
  leafHashOfRecord,
  storedLeafHash,
} from './record-format.js';
import { SequentialReader } from './sequential-reader.js';
import { trailingOnes } from './tlog-layout.js';
import { MAX_TORN_TAIL_BYTES, OFFSET_BYTES, readOffset, writeOffset } from './batch-limits.js';

/** The durable state open() hands to the store. */
export interface RecoveredLog {
  /** Number of verified leaves. */
  readonly count: number;
  /** Byte length of the verified entries file. */
  readonly entriesEnd: number;
  /** Compact range: hashes of the perfect subtrees covering [0, count), left to right. */
  readonly stack: Uint8Array[];
  /** Whether a torn tail was cut or missing hashes/offsets were rebuilt. */
  readonly repaired: boolean;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** merkle.nodeHash through one reused 65-byte buffer: open() computes ~n of these. */
function nodeHashInto(scratch: Uint8Array, left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch[0] = 1;
  scratch.set(left, 1);
  scratch.set(right, 1 + HASH_BYTES);
  return sha256(scratch);
}

/** Collects bytes destined for consecutive file positions and writes them in large pieces. */
class AppendWriter {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private start = -1;
  wrote = false;
  constructor(private readonly fd: number) {}
  push(data: Uint8Array, position: number): void {
    if (this.start < 0) this.start = position;
    this.parts.push(Buffer.from(data));
    this.bytes += data.length;
    if (this.bytes >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.bytes === 0) return;
    writeFully(this.fd, Buffer.concat(this.parts), this.start);
    this.start += this.bytes;
    this.parts = [];
    this.bytes = 0;
    this.wrote = true;
  }
}

/**
 * Verifies the whole log in one streaming pass and repairs only an unacknowledged tail.
 * Throws AuditCorruptionError (one line) when anything acknowledged is damaged or missing.
 */
export function recoverLog(files: LogFiles): RecoveredLog {
  const entriesSize = fstatSync(files.entries).size;
  const hashesSize = fstatSync(files.hashes).size;
  const offsetsSize = fstatSync(files.offsets).size;
  const entries = new SequentialReader(files.entries, entriesSize);
  const hashes = new SequentialReader(files.hashes, hashesSize);
  const offsets = new SequentialReader(files.offsets, offsetsSize);
  const storedHashes = Math.floor(hashesSize / HASH_BYTES);
  const storedOffsets = Math.floor(offsetsSize / OFFSET_BYTES);
  const hashOut = new AppendWriter(files.hashes);
  const offsetOut = new AppendWriter(files.offsets);
  const stack: Uint8Array[] = [];
  const scratch = new Uint8Array(1 + 2 * HASH_BYTES);
  let count = 0;
  let pos = 0;
  let hashPos = 0;
  let stopped: 'incomplete' | 'checksum' | null = null;

  const checkHash = (h: Uint8Array): void => {
    if (hashPos < storedHashes) {
      const stored = hashes.view(hashPos * HASH_BYTES, HASH_BYTES) as Buffer;
      if (!equal(stored, h)) {
        throw new AuditCorruptionError(
          `audit log corrupt: ${FILE_NAMES.hashes} hash #${hashPos} (leaf ${count}) does not match ${FILE_NAMES.entries}`,
        );
      }
    } else {
      hashOut.push(h, hashPos * HASH_BYTES);
    }
    hashPos += 1;
  };

  while (pos < entriesSize) {
    const head = entries.view(pos, RECORD_HEADER_BYTES);
    const len = head === null ? -1 : head.readUInt32LE(0);
    if (len < 0 || len > MAX_LEAF_BYTES_HARD || pos + RECORD_HEADER_BYTES + len > entriesSize) {
      stopped = 'incomplete';
      break;
    }
    const record = entries.view(pos, RECORD_HEADER_BYTES + len) as Buffer;
    let h = leafHashOfRecord(record);
    if (!equal(h, storedLeafHash(record))) {
      stopped = 'checksum';
      break;
    }
    if (count < storedOffsets) {
      if (readOffset(offsets.view(count * OFFSET_BYTES, OFFSET_BYTES) as Buffer) !== pos) {
        throw new AuditCorruptionError(
          `audit log corrupt: ${FILE_NAMES.offsets} entry ${count} does not match ${FILE_NAMES.entries}`,
        );
      }
    } else {
      offsetOut.push(writeOffset(pos), count * OFFSET_BYTES);
    }
    checkHash(h);
    for (let t = trailingOnes(count); t > 0; t--) {
      h = nodeHashInto(scratch, stack.pop() as Uint8Array, h);
      checkHash(h);
    }
    stack.push(h);
    count += 1;
    pos += RECORD_HEADER_BYTES + len;
  }

  // Write order per batch is entries, then offsets, then hashes (each complete before the
  // next starts), and a batch is acknowledged only after all three are fsynced. So an
  // offset or hash for leaf `count` proves its record was completely written: if that
  // record is now missing or damaged, acknowledged data was lost or altered.
  if (count < storedOffsets || hashPos < storedHashes) {
    const what = stopped === null ? 'is missing' : `at byte ${pos} is damaged`;
    throw new AuditCorruptionError(
      `audit log corrupt: ${FILE_NAMES.entries} record ${count} ${what} but ${count < storedOffsets ? FILE_NAMES.offsets : FILE_NAMES.hashes} records it`,
    );
  }
  // Otherwise the bad bytes are the unacknowledged tail of one interrupted batch; a longer
  // stretch cannot come from a crash and means the middle of the file was damaged.
  if (stopped !== null && entriesSize - pos > MAX_TORN_TAIL_BYTES) {
    throw new AuditCorruptionError(
      `audit log corrupt: ${FILE_NAMES.entries} record ${count} at byte ${pos} is damaged (${stopped}) and ${entriesSize - pos} bytes follow`,
    );
  }
  hashOut.flush();
  offsetOut.flush();
  let repaired = hashOut.wrote || offsetOut.wrote;
  for (const [fd, size, want] of [
    [files.entries, entriesSize, pos],
    [files.hashes, hashesSize, hashPos * HASH_BYTES],
    [files.offsets, offsetsSize, count * OFFSET_BYTES],
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
  return { count, entriesEnd: pos, stack, repaired };
}
