import { HEX } from '../protocol/grammar.js';

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Decodes lowercase hex. Throws TypeError on odd length or any other character, so a
 * half-parsed attacker value never reaches a comparison.
 */
export function fromHex(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new TypeError('fromHex: expected lowercase hex of even length');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** True when `s` is lowercase hex of exactly `bytes` bytes. */
export function isHex(s: string, bytes: number): boolean {
  return s.length === bytes * 2 && HEX.test(s);
}
