import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** `n` bytes from the operating system's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError('randomBytes: n must be a non-negative integer');
  return new Uint8Array(nodeRandomBytes(n));
}

/** An unguessable identifier: 128 random bits as 32 lowercase hex characters. */
export function randomId(): string {
  return nodeRandomBytes(16).toString('hex');
}
