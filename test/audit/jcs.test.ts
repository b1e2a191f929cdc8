import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalize,
  canonicalBytes,
  serializeNumber,
  serializeString,
} from '../../src/audit/jcs.js';

/** The IEEE 754 double whose bit pattern is `hex` (RFC 8785 Appendix B uses these). */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt('0x' + hex));
  return view.getFloat64(0);
}

describe('canonicalize (RFC 8785)', () => {
  describe('the §3.2.2 example', () => {
    it('sorts members, formats numbers and escapes strings exactly like the RFC output', () => {
      // The RFC input, parsed as JSON exactly as written in §3.2.2.
      const input = JSON.parse(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
          ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
          ' "literals": [null, true, false]}',
      ) as unknown;
      expect(canonicalize(input)).toBe(
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
          '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
      );
    });
  });

  describe('the §3.2.3 sorting example', () => {
    it('orders names by UTF-16 code units, not by code points or locale', () => {
      const input = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };
      const names = Object.keys(JSON.parse(canonicalize(input)) as object);
      expect(canonicalize(input).startsWith('{"\\r":"Carriage Return","1":"One"')).toBe(true);
      // Emoji (surrogate pair 0xD83D...) sorts before U+FB33 although its code point is larger.
      expect(names.slice(2)).toEqual(['\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    });
  });

  describe('the Appendix B number table', () => {
    const table: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    it.each(table)('serialises the double with bits %s as %s', (bits, expected) => {
      expect(serializeNumber(fromBits(bits))).toBe(expected);
    });
    it.each([['7fffffffffffffff'], ['7ff0000000000000'], ['fff0000000000000']])(
      'refuses the non-finite double with bits %s',
      (bits) => {
        expect(() => canonicalize([fromBits(bits)])).toThrow(TypeError);
      },
    );
  });

  describe('string escaping', () => {
    it('uses short escapes, lowercase \\u00xx for other controls, and leaves the rest literal', () => {
      expect(canonicalize('\b\t\n\f\r\u0000\u001f\u007f"\\/é😀')).toBe(
        '"\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\\"\\\\/é😀"',
      );
    });
    it('refuses lone surrogates, which are not I-JSON', () => {
      expect(() => canonicalize('\ud800')).toThrow(TypeError);
      expect(() => canonicalize('a\udc00b')).toThrow(TypeError);
      expect(() => canonicalize({ '\ud83d': 1 })).toThrow(TypeError);
    });
  });

  describe('values JSON cannot represent', () => {
    it.each([
      ['undefined', { a: undefined }],
      ['a function', { f: () => 1 }],
      ['a symbol', [Symbol('x')]],
      ['a bigint', [1n]],
      ['a Date', { d: new Date(0) }],
      ['an array hole', Object.assign(new Array<unknown>(3), { 0: 1, 2: 3 })],
      ['a symbol key', { [Symbol('k')]: 1 }],
    ])('refuses %s', (_name, value) => {
      expect(() => canonicalize(value)).toThrow(TypeError);
    });
    it('refuses cycles', () => {
      const a: Record<string, unknown> = { x: 1 };
      a['self'] = { back: a };
      expect(() => canonicalize(a)).toThrow(/cyclic/);
    });
    it('accepts the same object twice when it is not a cycle', () => {
      const shared = { k: 1 };
      expect(canonicalize({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
    });
    it('refuses nesting deeper than the bound instead of overflowing the stack', () => {
      let deep: unknown = 1;
      for (let i = 0; i < 200; i++) deep = [deep];
      expect(() => canonicalize(deep)).toThrow(/too deep/);
    });
    it('accepts objects with a null prototype', () => {
      const o = Object.create(null) as Record<string, unknown>;
      o['b'] = 2;
      o['a'] = 1;
      expect(canonicalize(o)).toBe('{"a":1,"b":2}');
    });
  });

  describe('properties', () => {
    it('is a fixed point: parse then canonicalise again gives the same text', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          const text = canonicalize(v);
          expect(canonicalize(JSON.parse(text))).toBe(text);
        }),
      );
    });
    it('agrees with JSON.stringify on the value it encodes', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          expect(JSON.parse(canonicalize(v))).toEqual(JSON.parse(JSON.stringify(v)));
        }),
      );
    });
    it('does not depend on member insertion order', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string(), fc.integer()), (d) => {
          const reversed = Object.fromEntries(Object.entries(d).reverse());
          expect(canonicalize(reversed)).toBe(canonicalize(d));
        }),
      );
    });
    it('encodes as UTF-8', () => {
      expect(Array.from(canonicalBytes({ e: '€' }))).toEqual([
        0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0xac, 0x22, 0x7d,
      ]);
    });
  });
});

/**
 * The RFC 8785 §3.2.2.2 escaping written out code unit by code unit (the implementation
 * before issue 19, which now uses the native `JSON.stringify` after `isWellFormed`).
 */
const REFERENCE_ESCAPES: Readonly<Record<number, string>> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
};

function referenceString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = REFERENCE_ESCAPES[c];
    if (short !== undefined) {
      out += short;
    } else if (c < 0x20) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff))
        throw new TypeError('canonicalize: lone surrogate in string');
      out += s[i]! + s[i + 1]!;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new TypeError('canonicalize: lone surrogate in string');
    } else {
      out += s[i]!;
    }
  }
  return out + '"';
}

describe('serializeString (native escaping)', () => {
  it('escapes every string exactly as the code-unit-by-code-unit reference, and refuses the same ones', () => {
    const outcome = (f: (s: string) => string, s: string): string => {
      try {
        return f(s);
      } catch (err) {
        return `refused: ${(err as Error).message}`;
      }
    };
    const every = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc
        .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 })
        .map((units) => String.fromCharCode(...units)),
    );
    fc.assert(
      fc.property(every, (s) => {
        expect(outcome(serializeString, s)).toBe(outcome(referenceString, s));
      }),
      { numRuns: 20_000, seed: 19 },
    );
    // Every single code unit, alone and before a low surrogate.
    for (let c = 0; c <= 0xffff; c++) {
      const s = String.fromCharCode(c);
      expect(outcome(serializeString, s)).toBe(outcome(referenceString, s));
      expect(outcome(serializeString, s + '\udc00')).toBe(outcome(referenceString, s + '\udc00'));
    }
  });
});
