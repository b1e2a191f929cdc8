import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { readApproverKeyFile } from '../../src/cli/keygen.js';
import { toHex } from '../../src/crypto/index.js';
import { tempDir } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Runs the shell walkthrough of docs/releases.md, exactly as written there, with bash,
 * against a real gateway process and the real CLI (src/cli/main.ts through tsx).
 */
function walkthroughScript(): string {
  const doc = readFileSync(path.join(repoRoot, 'docs/releases.md'), 'utf8');
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(
    doc,
  );
  if (block === null) throw new Error('docs/releases.md has no walkthrough block');
  return block[1]!;
}

let gw: GatewayProcess;
let dir: string;

beforeAll(async () => {
  dir = tempDir('codex-walkthrough-');
  const quiet = { out: () => undefined, err: () => undefined };
  const keys: Record<string, string> = {};
  for (const name of ['alice', 'bob', 'carol']) {
    const file = path.join(dir, `${name}.key`);
    expect(await runCli(['keygen', '--out', file, '--name', name], quiet)).toBe(0);
    keys[name] = toHex(readApproverKeyFile(file).publicKey);
  }
  const policy = {
    version: 1,
    clients: { 'ci-main': { actions: ['build', 'deploy'] } },
    approvers: keys,
    quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
  };
  writeFileSync(path.join(dir, 'trusted-policy.json'), JSON.stringify(policy, null, 2));
  gw = await startGateway({ policy, startTimeoutMs: 60_000 });
  // `codex-gateway` on PATH: the real CLI, run from the sources.
  const bin = path.join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  const loader = path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs');
  writeFileSync(
    path.join(bin, 'codex-gateway'),
    `#!/bin/sh\nexec "${process.execPath}" --import "${loader}" "${path.join(repoRoot, 'src/cli/main.ts')}" "$@"\n`,
  );
  chmodSync(path.join(bin, 'codex-gateway'), 0o755);
}, 90_000);

afterAll(async () => {
  await gw?.stop();
});

describe('docs/releases.md walkthrough', () => {
  it('runs end to end through the real CLI against a real gateway', async () => {
    const key = (await (await gw.get('/v1/audit/key')).json()) as { vkey: string };
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthroughScript()], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 240_000,
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '',
        TMPDIR: process.env.TMPDIR ?? '/tmp',
        CODEX_GATEWAY_URL: gw.url,
        CODEX_API_KEY: gw.client.apiKey,
        CODEX_SIGNING_SECRET: gw.client.signingSecret,
        GATEWAY_VKEY: key.vkey,
      },
    });
    expect(result.stderr + result.stdout).toContain('verified: deploy');
    expect(result.stderr).toMatch(/REFUSED: check 2 \(subject\) failed/);
    expect(result.status).toBe(0);
  }, 300_000);
});
