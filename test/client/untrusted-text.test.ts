import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeUntrusted,
  hasUnsafeCharacters,
  terminalSafe,
} from '../../src/client/untrusted-text.js';

/** Every C0 control, DEL and every C1 control. */
// eslint-disable-next-line no-control-regex -- the characters under test
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;

/** Short strings biased to the interesting range: controls, Latin-1, bidi, backslash. */
const text = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\\', 'x', '\u202e', '\u2028', '名'),
  ),
  maxLength: 32,
});

describe('untrusted text for a terminal', () => {
  it('escapes ESC sequences, CR, newline, DEL, C1 and bidi controls visibly', () => {
    expect(escapeUntrusted('acme/web\u001b[1A\r  target  acme/EVIL\n')).toBe(
      'acme/web\\x1b[1A\\x0d  target  acme/EVIL\\x0a',
    );
    expect(escapeUntrusted('a\u007fb\u009bc\u202ed\u2028')).toBe('a\\x7fb\\x9bc\\u202ed\\u2028');
    expect(escapeUntrusted('back\\slash')).toBe('back\\\\slash');
  });

  it('keeps plain text (and non-Latin text) unchanged', () => {
    expect(escapeUntrusted('alice')).toBe('alice');
    expect(escapeUntrusted('名前 é')).toBe('名前 é');
    expect(terminalSafe('two\nlines\n')).toBe('two\nlines\n');
  });

  it('never lets a control character through, for any input', () => {
    fc.assert(
      fc.property(
        text,
        (s) =>
          !CONTROLS.test(escapeUntrusted(s)) &&
          !hasUnsafeCharacters(escapeUntrusted(s)) &&
          !CONTROLS.test(terminalSafe(s).replace(/\n/g, '')),
      ),
    );
  });

  it('is unambiguous: different inputs render differently', () => {
    fc.assert(
      fc.property(text, text, (a, b) => a === b || escapeUntrusted(a) !== escapeUntrusted(b)),
    );
    expect(escapeUntrusted('\\x1b')).not.toBe(escapeUntrusted('\u001b'));
  });
});
