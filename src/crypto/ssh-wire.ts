/**
 * The SSH wire encoding (RFC 4251 §5) for the few types SSHSIG and OpenSSH public keys use:
 * `byte`, `uint32` and `string` (a uint32 length then that many bytes). Everything read
 * here comes from the wire (a policy line, an approval body), so every length is checked
 * against the bytes that are left AND against a caller-given maximum before any slice.
 */

/** Reads SSH wire values from a byte array; every method returns undefined instead of overrunning. */
export class SshReader {
  #offset = 0;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** One byte, or undefined at the end. */
  byte(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.#bytes[this.#offset++];
  }

  /** A big-endian uint32, or undefined when fewer than 4 bytes are left. */
  uint32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /**
   * A `string` of at most `maxLength` bytes, or undefined when the length field says more
   * than that or more than is left. The result is a view, not a copy.
   */
  string(maxLength: number): Uint8Array | undefined {
    const length = this.uint32();
    if (length === undefined || length > maxLength || length > this.remaining) return undefined;
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** A `string` that must be printable ASCII (names, namespaces), as text. */
  text(maxLength: number): string | undefined {
    const bytes = this.string(maxLength);
    if (bytes === undefined || !bytes.every((c) => c >= 0x20 && c < 0x7f)) return undefined;
    return String.fromCharCode(...bytes);
  }

  /** `n` raw bytes (no length prefix), or undefined when fewer are left. */
  raw(n: number): Uint8Array | undefined {
    if (this.remaining < n) return undefined;
    const out = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
}

const encoder = new TextEncoder();

/** Encodes an SSH `string` (uint32 length, then the bytes; a JS string as UTF-8). */
export function sshString(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** Encodes a big-endian uint32. */
export function sshUint32(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new RangeError('sshUint32: value must be an integer in 0..2^32-1');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Decodes standard base64 (with `=` padding) only when it is canonical: the alphabet,
 * the padding and the unused low bits are exactly what encoding the result gives back.
 * So one byte string has exactly one accepted spelling. Undefined otherwise.
 */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text))
    return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}
