import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';
import { tempDir, testClient, openPolicy } from '../helpers/credentials.js';
import { startGateway } from '../helpers/gateway-process.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Issue 11 point 4, against real gateway processes: start-up checks that name the fix.
 * A log key that did not sign the last checkpoint stops the gateway with one line; every
 * refusal about the audit files ends with what to do; a missing or invalid policy at start
 * is reported as "no policy active", with line:column for JSON errors.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const client = testClient();
const policy = openPolicy([client.id]);

/** A gateway that served one event and stopped; its directory is returned. */
async function usedDir(): Promise<string> {
  const dir = tempDir('codex-startup-');
  dirs.push(dir);
  const gw = await startGateway({ client, policy, dir, startTimeoutMs: 30_000 });
  expect((await gw.post('/v1/events')).status).toBe(200);
  expect(await gw.stop()).toBe(0);
  return dir;
}

/** Starts a gateway that must refuse; returns its one stderr line. */
async function refusal(dir: string): Promise<string> {
  const err = (await startGateway({ client, policy, dir, startTimeoutMs: 30_000 }).catch(
    (e: unknown) => e,
  )) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toMatch(/gateway exited with 1/);
  const lines = err.message.split('\n').filter((l) => l.startsWith('codex-gateway: '));
  expect(lines, err.message).toHaveLength(1);
  return lines[0]!;
}

describe('start-up refusals name the fix', () => {
  it('refuses a log key changed by one character, saying the key changed and what to do', async () => {
    const dir = await usedDir();
    const keyFile = path.join(dir, 'data', 'audit-log.key');
    const hex = readFileSync(keyFile, 'utf8').trim();
    // Still a well-formed key (64 lowercase hex), just not the one that signed.
    writeFileSync(keyFile, (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1) + '\n', { mode: 0o600 });
    const line = await refusal(dir);
    expect(line).toMatch(
      /^codex-gateway: audit log refused: .*head\.bin slot \d+ does not verify.*\. What to do: the log key changed or the signed head was altered: put the original key back in .*audit-log\.key; .*\(docs\/audit\.md#when-the-gateway-refuses-to-start\)$/,
    );
    expect(line).not.toContain(hex.slice(1, 40)); // never the secret key
  }, 120_000);

  it('refuses a deleted log key too (a new key would be created and sign another history)', async () => {
    const dir = await usedDir();
    rmSync(path.join(dir, 'data', 'audit-log.key'));
    expect(await refusal(dir)).toMatch(
      /audit log refused: .*What to do: the log key changed or the signed head was altered: put the original key back/,
    );
  }, 120_000);

  it('ends a corruption refusal with what to do and where the docs are', async () => {
    const dir = await usedDir();
    const file = path.join(dir, 'data', 'audit', 'entries.log');
    const bytes = readFileSync(file);
    bytes[20] = bytes[20]! ^ 0x01;
    writeFileSync(file, bytes);
    expect(await refusal(dir)).toMatch(
      /^codex-gateway: audit log refused: .*\. What to do: stop, keep the data directory unchanged as evidence, and restore it from a backup \(docs\/audit\.md#when-the-gateway-refuses-to-start\)$/,
    );
  }, 120_000);

  it('a second gateway on a data directory in use is told to stop the other, not to restore a backup', async () => {
    const dir = await usedDir();
    const first = await startGateway({ client, policy, dir, startTimeoutMs: 30_000 });
    try {
      const line = await refusal(dir);
      expect(line).toMatch(
        new RegExp(
          `^codex-gateway: audit log refused: .* is already open in process ${first.child.pid}\\. What to do: another gateway \\(process ${first.child.pid}\\) is using this data directory; stop it first, or give this instance its own GATEWAY_DATA_DIR \\(the files are not damaged\\)$`,
        ),
      );
      // The running gateway was not disturbed.
      expect((await first.post('/v1/events')).status).toBe(200);
    } finally {
      await first.stop();
    }
  }, 120_000);

  it('the docs section the refusals point at exists', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/audit.md'), 'utf8');
    expect(doc).toMatch(/^## When the gateway refuses to start$/m);
  });
});

describe('no valid policy at start', () => {
  it('a missing policy file is reported as "no policy active", never as a last good revision', async () => {
    const dir = tempDir('codex-startup-');
    dirs.push(dir);
    const gw = await startGateway({
      client,
      dir,
      startTimeoutMs: 30_000,
      env: { GATEWAY_POLICY_FILE: path.join(dir, 'missing.json') },
    });
    try {
      const out = gw.output.join('\n');
      expect(out).toMatch(/"msg":"no policy active: every event is denied/);
      expect(out).not.toMatch(/last good revision/);
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
      const res = await gw.post('/v1/events');
      expect(res.status).toBe(403);
    } finally {
      await gw.stop();
    }
  }, 120_000);

  it('an invalid JSON policy gives line:column in the log, in GET /v1/policy and in policy check', async () => {
    const dir = tempDir('codex-startup-');
    dirs.push(dir);
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, '{\n  "version": 1,\n  "clients": {},\n}\n');
    const gw = await startGateway({
      client,
      dir,
      startTimeoutMs: 30_000,
      env: { GATEWAY_POLICY_FILE: file },
    });
    try {
      const line = gw.output.find((l) => l.includes('no policy active'));
      expect(line).toBeDefined();
      expect(JSON.parse(line!).error).toMatch(/^\(root\): not valid JSON at 4:1 \(line:column\): /);
      const status = (await (await gw.get('/v1/policy')).json()) as { lastError: string };
      expect(status.lastError).toMatch(/not valid JSON at 4:1 \(line:column\)/);
    } finally {
      await gw.stop();
    }
    const check = await runCliProcess(['policy', 'check', file]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/\(root\): not valid JSON at 4:1 \(line:column\): /);
  }, 120_000);
});
