import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand, type CliCommand } from '../../src/cli/command.js';
import { deliveriesList, deliveriesRetry } from '../../src/cli/deliveries.js';
import { command as deployAttestation } from '../../src/cli/deploy-attestation.js';
import { command as deployWait } from '../../src/cli/deploy-wait.js';

/**
 * Every command that talks to a running gateway takes `--url`/`--api-key` (or the
 * CODEX_GATEWAY_URL/CODEX_API_KEY variables) the same way, and refuses what is missing or
 * malformed with exit 2 and one usage line, before anything is sent.
 */
const ID = 'a'.repeat(32);
const commands: Array<[CliCommand, string[]]> = [
  [deployWait, [ID]],
  [deployAttestation, [ID]],
  [deliveriesList, []],
  [deliveriesRetry, [`msg_${'b'.repeat(32)}`]],
];

async function run(cmd: CliCommand, args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCommand(cmd, args, { out: () => undefined, err: (t) => (err += t) });
  return { code, err };
}

describe('gateway connection options', () => {
  const saved = { url: process.env.CODEX_GATEWAY_URL, key: process.env.CODEX_API_KEY };
  beforeEach(() => {
    delete process.env.CODEX_GATEWAY_URL;
    delete process.env.CODEX_API_KEY;
  });
  afterEach(() => {
    if (saved.url !== undefined) process.env.CODEX_GATEWAY_URL = saved.url;
    if (saved.key !== undefined) process.env.CODEX_API_KEY = saved.key;
  });

  it.each(commands)(
    '%s: no URL, no key and a malformed URL are usage errors (exit 2)',
    async (cmd, rest) => {
      const noUrl = await run(cmd, ['--api-key', 'k', ...rest]);
      expect(noUrl.code).toBe(2);
      expect(noUrl.err).toContain(
        `codex-gateway ${cmd.name}: no URL: pass --url or set CODEX_GATEWAY_URL`,
      );

      const noKey = await run(cmd, ['--url', 'http://127.0.0.1:9', ...rest]);
      expect(noKey.code).toBe(2);
      expect(noKey.err).toContain('no API key: pass --api-key or set CODEX_API_KEY');

      const badUrl = await run(cmd, ['--url', 'ftp://example', '--api-key', 'k', ...rest]);
      expect(badUrl.code).toBe(2);
      expect(badUrl.err.split('\n')[0]).toMatch(new RegExp(`^codex-gateway ${cmd.name}: `));
    },
  );

  it.each(commands)('%s: documents both options with their variables in --help', async (cmd) => {
    let out = '';
    expect(
      await runCommand(cmd, ['--help'], { out: (t) => (out += t), err: () => undefined }),
    ).toBe(0);
    expect(out).toContain('[$CODEX_GATEWAY_URL]');
    expect(out).toContain('[$CODEX_API_KEY]');
  });
});
