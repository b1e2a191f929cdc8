import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SIGNATURES,
  parseSignatureHeaders,
  signatureHeaderProblem,
} from '../../src/signing/index.js';

/**
 * The signature headers' grammars are checked by loops instead of regexes (issue 19). The
 * previous, regex-based parser is kept here as the reference: on random values near the
 * grammars (boundary lengths, upper-case hex, odd whitespace, non-ASCII, lists) both must
 * give the same result, bytes included, and the same `malformed_signature` detail.
 */
const TIMESTAMP = /^[0-9]{1,12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIG_ENTRY = /^v1=([0-9a-f]{64})$/;

function referenceParse(
  timestamp: string | undefined,
  nonce: string | undefined,
  sig: string | undefined,
) {
  if (timestamp === undefined || nonce === undefined || sig === undefined) return undefined;
  if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || sig.length > 1024) return undefined;
  const entries = sig.split(',').map((part) => part.trim());
  if (entries.length === 0 || entries.length > MAX_SIGNATURES) return undefined;
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    const match = SIG_ENTRY.exec(entry);
    if (match === null) return undefined;
    signatures.push(new Uint8Array(Buffer.from(match[1]!, 'hex')));
  }
  return { timestamp: Number(timestamp), timestampText: timestamp, nonce, signatures };
}

function referenceProblem(
  timestamp: string | undefined,
  nonce: string | undefined,
  sig: string | undefined,
): string | undefined {
  if (timestamp === undefined) return 'header X-Codex-Timestamp is missing';
  if (!TIMESTAMP.test(timestamp))
    return 'header X-Codex-Timestamp must be unix seconds (1 to 12 digits), sent once';
  if (nonce === undefined) return 'header X-Codex-Nonce is missing';
  if (!NONCE.test(nonce))
    return 'header X-Codex-Nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -, sent once';
  if (sig === undefined) return 'header X-Codex-Sig is missing';
  if (referenceParse(timestamp, nonce, sig) === undefined)
    return `header X-Codex-Sig must be v1=<64 lowercase hex>, at most ${MAX_SIGNATURES} entries separated by commas`;
  return undefined;
}

/** Characters around the grammars' edges: every class boundary, whitespace, non-ASCII. */
const EDGE = [
  ...'0123456789abcdefABCDEFgGzZ_-=.,+ v1/:@[`{',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\ufeff',
  '\u2028',
  '\u0660',
  'é',
  '\u{1f600}',
];
const edgeChar = fc.constantFrom(...EDGE);
const digits = fc.stringMatching(/^[0-9]{0,14}$/);
const timestamp = fc.oneof(digits, fc.string({ unit: edgeChar, maxLength: 14 }), fc.constant(''));
const nonce = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{14,66}$/),
  fc.string({ unit: edgeChar, minLength: 14, maxLength: 66 }),
);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
/** An entry that is valid, or valid but for one mutation (case, length, a stray character). */
const entry = fc.oneof(
  hex64.map((h) => `v1=${h}`),
  hex64.map((h) => `v1=${h.toUpperCase()}`),
  fc.tuple(hex64, fc.integer({ min: 0, max: 63 }), edgeChar).map(([h, i, c]) => {
    return `v1=${h.slice(0, i)}${c}${h.slice(i + 1)}`;
  }),
  fc
    .tuple(hex64, fc.integer({ min: 60, max: 66 }))
    .map(([h, n]) => `v1=${h.repeat(2).slice(0, n)}`),
  hex64.map((h) => `v2=${h}`),
  hex64.map((h) => `V1=${h}`),
  fc.string({ unit: edgeChar, maxLength: 70 }),
);
const padding = fc.constantFrom('', ' ', '  ', '\t', '\u00a0', '\ufeff', '\n');
const sigHeader = fc.oneof(
  entry,
  fc
    .array(fc.tuple(padding, entry, padding), { minLength: 1, maxLength: 10 })
    .map((parts) => parts.map(([a, e, b]) => `${a}${e}${b}`).join(',')),
  fc.string({ unit: edgeChar, maxLength: 40 }),
  hex64.map((h) => `v1=${h},`.repeat(16)),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 10 });

describe('signature header grammars: loops = the previous regexes', () => {
  it('same parse (bytes included) and same problem detail on 20,000 random header triples', () => {
    fc.assert(
      fc.property(maybe(timestamp), maybe(nonce), maybe(sigHeader), (t, n, s) => {
        expect(parseSignatureHeaders(t, n, s)).toEqual(referenceParse(t, n, s));
        expect(signatureHeaderProblem(t, n, s)).toBe(referenceProblem(t, n, s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('every length around each bound', () => {
    const ts = '1764201600';
    const nc = 'abcdefghijklmnopqrstuvwxyz012345';
    const sig = `v1=${'0123456789abcdef'.repeat(4)}`;
    for (let n = 0; n <= 80; n++) {
      const cases: Array<[string, string, string]> = [
        ['7'.repeat(n), nc, sig],
        [ts, 'N'.repeat(n), sig],
        [ts, nc, `v1=${'a'.repeat(n)}`],
        [ts, nc, Array.from({ length: n }, () => sig).join(',')],
        [ts, nc, `${sig}${' '.repeat(n * 12)}`],
      ];
      for (const [t, no, s] of cases) {
        const want = referenceParse(t, no, s);
        expect(parseSignatureHeaders(t, no, s)).toEqual(want);
        expect(signatureHeaderProblem(t, no, s)).toBe(referenceProblem(t, no, s));
      }
    }
  });

  it('every single code unit in each position of each grammar', () => {
    const ts = '1764201600';
    const nc = 'abcdefghijklmnopqrstuvwxyz012345';
    const sig = `v1=${'0123456789abcdef'.repeat(4)}`;
    for (let u = 0; u <= 0xffff; u++) {
      const ch = String.fromCharCode(u);
      const cases: Array<[string, string, string]> = [
        [ch, nc, sig],
        [`${ts.slice(0, 5)}${ch}${ts.slice(6)}`, nc, sig],
        [ts, `${nc.slice(0, 20)}${ch}${nc.slice(21)}`, sig],
        [ts, nc, `${sig.slice(0, 30)}${ch}${sig.slice(31)}`],
        [ts, nc, `${sig.slice(0, 1)}${ch}${sig.slice(2)}`],
        [ts, nc, `${ch}${sig}`],
        [ts, nc, `${sig},${ch}${sig}`],
      ];
      for (const [t, n, s] of cases) {
        const got = parseSignatureHeaders(t, n, s);
        const want = referenceParse(t, n, s);
        if (got === undefined || want === undefined) expect(got).toBe(want);
        else expect(got).toEqual(want);
      }
    }
  });
});
