import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';

// The server address is never contacted: consent is settled before any network traffic.
const ARGS = [
  'approve',
  '--url',
  'http://127.0.0.1:9',
  '--api-key',
  'k',
  '--key',
  'no-such-key.json',
  'ab'.repeat(16),
];

describe('approve without a terminal', () => {
  it.each([
    ['stdin is /dev/null', undefined],
    ['a piped "y" (not consent)', 'y\n'],
    ['a piped "yes"', 'yes\n'],
  ])('refuses with exit 1 and one line saying to pass --yes: %s', async (_label, stdin) => {
    const r = await runCliProcess(ARGS, stdin === undefined ? {} : { stdin });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no terminal to confirm on; pass --yes/);
  });
});
