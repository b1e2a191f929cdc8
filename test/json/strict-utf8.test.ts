import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStrictUtf8 } from '../../src/json/strict-utf8.js';

/**
 * Check 7 reads every body through `decodeStrictUtf8`, which copies an all-ASCII Buffer
 * without the validating decoder (issue 19); the policy, fixture, audit and release readers
 * use it too. It must answer exactly as that decoder does: the same string, or a throw for
 * malformed UTF-8, on any bytes.
 */
const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function outcome(decode: (b: Uint8Array) => string, bytes: Uint8Array): string | 'throws' {
  try {
    return decode(bytes);
  } catch {
    return 'throws';
  }
}

/** Bytes that matter to UTF-8: ASCII, continuation bytes, lead bytes, never-valid bytes. */
const utf8Byte = fc.oneof(
  fc.integer({ min: 0x00, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0xbf }),
  fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xbb),
);

/** Mixed bytes, and long all-ASCII runs (the short way) with at most one other byte in them. */
const bytesNearUtf8 = fc.oneof(
  fc.array(utf8Byte, { maxLength: 40 }),
  fc
    .tuple(fc.array(fc.integer({ min: 0, max: 0x7f }), { maxLength: 300 }), fc.option(utf8Byte))
    .map(([ascii, other]) => (other === null ? ascii : [...ascii, other, ...ascii])),
);

describe('decodeStrictUtf8', () => {
  it('agrees with the strict TextDecoder on any bytes, at any offset, as a Buffer or a plain Uint8Array', () => {
    fc.assert(
      fc.property(bytesNearUtf8, fc.nat({ max: 8 }), (bytes, offset) => {
        const backing = Buffer.alloc(offset + bytes.length + 3, 0xff);
        backing.set(bytes, offset);
        const view = backing.subarray(offset, offset + bytes.length);
        const expected = outcome((b) => reference.decode(b), view);
        expect(outcome(decodeStrictUtf8, view)).toEqual(expected);
        const plain = new Uint8Array(backing.buffer, backing.byteOffset + offset, bytes.length);
        expect(outcome(decodeStrictUtf8, plain)).toEqual(expected);
      }),
      { numRuns: 50_000 },
    );
  });

  it('copies every ASCII byte as it is, controls and DEL included', () => {
    const all = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
    expect(decodeStrictUtf8(all)).toBe(String.fromCharCode(...all));
  });

  it('drops one leading BOM and refuses overlong forms, surrogates and a cut sequence', () => {
    expect(decodeStrictUtf8(Buffer.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe('{}');
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x7b, 0xe2, 0x82], [0xff]])
      expect(() => decodeStrictUtf8(Buffer.from(bad))).toThrow(TypeError);
    expect(decodeStrictUtf8(Buffer.from('{"a":"é💣"}'))).toBe('{"a":"é💣"}');
  });
});
