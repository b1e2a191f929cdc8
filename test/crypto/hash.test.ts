import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  fromHex,
  hmacSha256,
  reference,
  sha256,
  sha256Hex,
  toHex,
} from '../../src/crypto/index.js';
import { vectorPath } from '../helpers/paths.js';

interface HmacVector {
  source: string;
  key_hex: string;
  data_hex: string;
  hmac_sha256_hex: string;
  truncate_bits?: number;
}
const vectors = (
  JSON.parse(readFileSync(vectorPath('rfc4231.json'), 'utf8')) as { vectors: HmacVector[] }
).vectors;

describe('hmacSha256', () => {
  it.each(vectors.map((v) => [v.source, v] as const))('matches %s', (_name, v) => {
    const mac = toHex(hmacSha256(fromHex(v.key_hex), fromHex(v.data_hex)));
    const bits = v.truncate_bits ?? 256;
    expect(mac.slice(0, bits / 4)).toBe(v.hmac_sha256_hex.slice(0, bits / 4));
  });

  it('agrees with the pure-JS reference (@noble/hashes) on random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 5000 }),
        (key, data) => {
          expect(toHex(hmacSha256(key, data))).toBe(toHex(reference.hmacSha256(key, data)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sha256', () => {
  it('hashes the empty string to the well-known digest', () => {
    expect(sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
  it('agrees with the pure-JS reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        expect(toHex(sha256(data))).toBe(toHex(reference.sha256(data)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('constantTimeEqual', () => {
  it('is true only for identical bytes of equal length', () => {
    expect(constantTimeEqual(fromHex('00ff'), fromHex('00ff'))).toBe(true);
    expect(constantTimeEqual(fromHex('00ff'), fromHex('00fe'))).toBe(false);
    expect(constantTimeEqual(fromHex('00ff'), fromHex('00ff00'))).toBe(false);
  });
});

describe('fromHex', () => {
  it('refuses upper case, odd length and non-hex characters', () => {
    expect(() => fromHex('AB')).toThrow(TypeError);
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
  });
});
