import fc from 'fast-check';
import { expect, it } from 'vitest';
import { rewrittenView, shellView } from '../../src/policy/shell-view.js';

/**
 * The shell view once found path words with a regex of the form "non-separators, slash,
 * non-separators", which V8 retries at every position of a word that has no `/`:
 * quadratic. A 40,000-character word held the event loop for 11 s, a 160,000-character one
 * for over 3 minutes (one `run` step within the body limit). The bound below is two orders of magnitude above the
 * linear cost and far below the quadratic one, so it cannot flake on a loaded machine.
 */
it.each([
  ['one ASCII word', 'a'.repeat(200_000)],
  ['one CJK word', '中'.repeat(200_000)],
  ['one word of slashes', 'a/'.repeat(100_000)],
  ['one word of dot segments', '../'.repeat(66_000)],
])('views %s of 200,000 characters in linear time', (_label, text) => {
  // The step-by-step view itself: shellView skips it for text without shell syntax.
  const started = performance.now();
  const view = rewrittenView(text);
  expect(performance.now() - started).toBeLessThan(3_000);
  expect(view.length).toBeGreaterThan(0);
  expect(shellView(text)).toBe(view);
});

it('gives the step-by-step view for any text, also where it skips the steps', () => {
  // Any code points, with the characters the steps act on drawn often.
  const char = fc.oneof(
    fc.constantFrom("'", '"', '\\', '$', '/', '{', '}', '@', '*', '.', ' ', 'i', 'f', 's', '\n'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  );
  fc.assert(
    fc.property(fc.array(char, { maxLength: 40 }), (chars) => {
      const text = chars.join('');
      expect(shellView(text)).toBe(rewrittenView(text));
    }),
    { numRuns: 2000 },
  );
  // Plain commands take the short way and are their own view.
  fc.assert(
    fc.property(fc.stringMatching(/^[^'"\\$/]*$/), (text) => {
      expect(rewrittenView(text)).toBe(text);
    }),
    { numRuns: 1000 },
  );
});

it('still normalises path words and leaves other words alone', () => {
  expect(shellView('rm -rf //*')).toBe('rm -rf /*');
  expect(shellView('rm -rf /usr/../*')).toBe('rm -rf /*');
  expect(shellView('rm -rf /./*; echo a.b')).toBe('rm -rf /*; echo a.b');
  expect(shellView("rm -rf '/'*")).toBe('rm -rf /*');
});
