import { HASH_BYTES } from '../merkle.js';

/**
 * 32-byte hash moves inside read buffers, for open()'s hot loops (millions of calls): at
 * this size a plain loop is several times faster than Buffer#copy / Buffer#compare, whose
 * argument checks and native call dominate.
 */

/** Copies the hash at `fromAt` in `from` to `toAt` in `to`. */
export function copyHash(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number): void {
  for (let j = 0; j < HASH_BYTES; j++) to[toAt + j] = from[fromAt + j] as number;
}

/** True when the hashes at `aAt` in `a` and `bAt` in `b` are equal (stored data, not secrets). */
export function sameHash(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let j = 0; j < HASH_BYTES; j++) if (a[aAt + j] !== b[bAt + j]) return false;
  return true;
}
