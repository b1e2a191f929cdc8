import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalString,
  parseSignatureHeaders,
  signatureHeader,
  timestampInWindow,
  verifySignature,
} from '../../src/signing/index.js';
import { hmacSha256, toHex } from '../../src/crypto/index.js';

describe('canonicalString', () => {
  it('joins the six fields with newlines, no trailing newline, method upper-cased', () => {
    const s = canonicalString({
      timestamp: 1614265330,
      nonce: 'abcdefghijklmnop',
      method: 'post',
      target: '/v1/events?x=1',
      bodySha256: 'e3b0',
    });
    expect(s).toBe('codex-sig/v1\n1614265330\nabcdefghijklmnop\nPOST\n/v1/events?x=1\ne3b0');
  });
  it('puts a timestamp given as text in verbatim (no re-formatting of the number)', () => {
    const s = canonicalString({
      timestamp: '001614265330',
      nonce: 'abcdefghijklmnop',
      method: 'POST',
      target: '/v1/events',
      bodySha256: 'e3b0',
    });
    expect(s.split('\n')[1]).toBe('001614265330');
  });
});

describe('parseSignatureHeaders', () => {
  const sig = `v1=${'a'.repeat(64)}`;
  it('accepts digits-only timestamps and several signatures with optional spaces', () => {
    const p = parseSignatureHeaders(
      '1614265330',
      'abcdefghijklmnop',
      `${sig},v1=${'b'.repeat(64)} , ${sig}`,
    );
    expect(p?.timestamp).toBe(1614265330);
    expect(p?.signatures).toHaveLength(3);
  });
  it('keeps the timestamp header text exactly, leading zeros included (docs/protocol.md §16)', () => {
    const p = parseSignatureHeaders('001614265330', 'abcdefghijklmnop', sig);
    expect(p?.timestamp).toBe(1614265330);
    expect(p?.timestampText).toBe('001614265330');
  });
  it.each([
    '1614265330abc',
    '1e9',
    'Infinity',
    '+1614265330',
    ' 1614265330',
    '-1',
    '0x10',
    '1.5',
    '',
    '1234567890123',
  ])('refuses timestamp %j', (ts) => {
    expect(parseSignatureHeaders(ts, 'abcdefghijklmnop', sig)).toBeUndefined();
  });
  it('refuses nonces outside 16..64 of [A-Za-z0-9_-]', () => {
    expect(parseSignatureHeaders('1', 'a'.repeat(15), sig)).toBeUndefined();
    expect(parseSignatureHeaders('1', 'a'.repeat(65), sig)).toBeUndefined();
    expect(parseSignatureHeaders('1', 'a'.repeat(64), sig)).toBeDefined();
    expect(parseSignatureHeaders('1', `${'a'.repeat(16)}=`, sig)).toBeUndefined();
  });
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        const p = parseSignatureHeaders(a, b, c);
        if (p !== undefined) expect(/^[0-9]{1,12}$/.test(a)).toBe(true);
      }),
    );
  });
});

describe('timestampInWindow', () => {
  it('is symmetric around now', () => {
    const now = 1_700_000_000_000;
    expect(timestampInWindow(1_700_000_300, now, 300)).toBe(true);
    expect(timestampInWindow(1_700_000_301, now, 300)).toBe(false);
    expect(timestampInWindow(1_699_999_700, now, 300)).toBe(true);
    expect(timestampInWindow(1_699_999_699, now, 300)).toBe(false);
  });
});

describe('verifySignature', () => {
  const parts = {
    timestamp: 1,
    nonce: 'abcdefghijklmnop',
    method: 'POST',
    target: '/v1/events',
    bodySha256: 'ab',
  };
  const secret = new TextEncoder().encode('s'.repeat(32));
  const good = hmacSha256(secret, canonicalString(parts));
  it('accepts the HMAC under any secret and any presented entry', () => {
    const other = new TextEncoder().encode('o'.repeat(32));
    expect(verifySignature(parts, [other, secret], [new Uint8Array(32), good])).toBe(true);
  });
  it('refuses when no pair matches', () => {
    expect(verifySignature(parts, [secret], [new Uint8Array(32)])).toBe(false);
    expect(verifySignature(parts, [], [good])).toBe(false);
  });
  it('signatureHeader produces v1=<hex of the HMAC>', () => {
    expect(signatureHeader(parts, 's'.repeat(32))).toBe(`v1=${toHex(good)}`);
  });
});
