import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** `n` bytes from the operating system's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError('randomBytes: n must be a non-negative integer');
  return new Uint8Array(nodeRandomBytes(n));
}

// Ids are needed on every request (request id, decision id). One CSPRNG call per 256 ids
// instead of one per id: the bytes are the same OS randomness, each used exactly once.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** An unguessable identifier: 128 random bits as 32 lowercase hex characters. */
export function randomId(): string {
  if (offset >= pool.length) {
    pool = nodeRandomBytes(16 * POOL_IDS);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return id;
}
