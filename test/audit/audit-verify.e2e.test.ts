import { cpSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointHeadSigner, noteVerifier } from '../../src/audit/checkpoint.js';
import { canonicalize } from '../../src/audit/jcs.js';
import { loadOrCreateLogKey } from '../../src/audit/log-key.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { HEAD_FILE } from '../../src/audit/storage/head-file.js';
import { sha256Hex } from '../../src/crypto/index.js';
import { tempDir, testClient, writePolicyFile } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { logVerifier, mixedLoad, mixedPolicy, runAudit, type Ack } from './e2e-support.js';

/** GATEWAY_LOG_ORIGIN of test/helpers/gateway-process.ts. */
const ORIGIN_OF_TESTS = 'test.codex-gateway.local/log';
const client = testClient();
const policy = mixedPolicy(client.id);
const dirs: string[] = [];
let gw: GatewayProcess;
let vkey: string;
let stateFile: string;
const acks: Ack[] = [];

const common = (url = gw.url) => ['--url', url, '--api-key', client.apiKey, '--vkey', vkey];

beforeAll(async () => {
  const dir = tempDir('codex-audit-e2e-');
  dirs.push(dir);
  stateFile = path.join(dir, 'auditor-state.json');
  gw = await startGateway({ client, policy, dir });
  vkey = (await logVerifier(gw)).vkey;
});
afterAll(async () => {
  await gw.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A copy of the gateway's directory to damage, started as its own gateway. */
function copyOfDir(): string {
  const copy = tempDir('codex-audit-copy-');
  dirs.push(copy);
  // A snapshot of a quiet log; the live writer's lock does not belong to the copy.
  cpSync(gw.dir, copy, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'writer.lock',
  });
  return copy;
}

async function expectStartRefused(dir: string): Promise<string> {
  const err = (await startGateway({ client, policy, dir }).catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toMatch(/gateway exited with 1/);
  const line = err.message
    .split('\n')
    .find((l) => l.startsWith('codex-gateway: audit log refused: '));
  expect(line, err.message).toBeDefined();
  return line!;
}

describe('audit verify against a running gateway', () => {
  it('passes with --entries after a mixed load, and every answer points at its entry', async () => {
    acks.push(...(await mixedLoad(gw, 'one')));
    // A policy activation is audited too: change the file and reload with SIGHUP.
    writePolicyFile(gw.dir, mixedPolicy(client.id, { maxSteps: 11 }));
    gw.child.kill('SIGHUP');
    for (let i = 0; i < 100; i++) {
      const leaf = (await (
        await gw.get(`/v1/audit/entries?start=0&count=${await size()}`)
      ).json()) as { entries: Array<{ entry: { type: string } }> };
      if (leaf.entries.filter((e) => e.entry.type === 'policy').length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const all = (await (
      await gw.get(`/v1/audit/entries?start=0&count=${await size()}`)
    ).json()) as { entries: Array<{ entry: Record<string, unknown> }> };
    const types = all.entries.map((e) => e.entry['type']);
    expect(types.filter((t) => t === 'policy').length).toBe(2);
    expect(types).toContain('approval');
    expect(all.entries.some((e) => e.entry['decision'] === 'deny')).toBe(true);
    expect(all.entries.some((e) => e.entry['decision'] === 'pending')).toBe(true);
    for (const ack of acks.filter((a) => a.body !== undefined)) {
      expect(all.entries[ack.index]!.entry['request']).toBe(`sha256:${sha256Hex(ack.body!)}`);
    }
    const r = await runAudit(['verify', ...common(), '--state', stateFile, '--entries']);
    expect(r, r.err).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^audit verify: OK: .*all \d+ entries re-hashed to the signed root\n$/);
  });

  it('checks the next checkpoint against the saved one, and proves single entries', async () => {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { size: number };
    acks.push(...(await mixedLoad(gw, 'two')));
    const r = await runAudit(['verify', ...common(), '--state', stateFile]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`consistent with the saved checkpoint of size ${saved.size}`);
    for (const ack of [acks[0]!, acks.at(-1)!]) {
      const p = await runAudit(['prove', ...common(), '--index', String(ack.index)]);
      expect(p.code, p.err).toBe(0);
      expect(p.out).toContain(`entry ${ack.index} `);
    }
  });

  it('fails with one line for a wrong key, an index outside the tree, or bad usage', async () => {
    const other = (await logVerifier(gw)).vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    const a = await runAudit([
      'verify',
      '--url',
      gw.url,
      '--api-key',
      client.apiKey,
      '--vkey',
      other,
    ]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/^audit verify: FAILED: [^\n]+\n$/);
    const b = await runAudit(['prove', ...common(), '--index', '999999']);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/^audit prove: FAILED: index 999999 is not in the signed tree/);
    expect((await runAudit(['verify', '--url', gw.url])).code).toBe(2);
  });

  it('refuses to start on a copy with one byte of an entry changed', async () => {
    const copy = copyOfDir();
    const target = path.join(copy, 'data', 'audit', 'entries.log');
    const bytes = readFileSync(target);
    const at = bytes.indexOf('acme/one-3') + 6;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(target, bytes);
    const line = await expectStartRefused(copy);
    expect(line).toMatch(
      /audit log refused: audit log corrupt: entries\.log record \d+ at byte \d+ is damaged but head\.bin signs \d+ entries/,
    );
    expect(readFileSync(target)).toEqual(bytes); // refused, nothing cut
  });

  it('rebuilds a changed hash (an index) from the entries under the signed head, and says so', async () => {
    const copy = copyOfDir();
    const target = path.join(copy, 'data', 'audit', 'hashes.bin');
    const original = readFileSync(target);
    const bytes = Buffer.from(original);
    bytes[32 * 3 + 5] = bytes[32 * 3 + 5]! ^ 0x01;
    writeFileSync(target, bytes);
    const copyGw = await startGateway({ client, policy, dir: copy });
    try {
      const warning = copyGw.output.find((l) => l.includes('audit log indexes'));
      expect(JSON.parse(warning ?? '{}')).toMatchObject({
        level: 40,
        reason: 'audit log corrupt: hashes.bin hash #3 (leaf 2) does not match entries.log',
        msg: 'audit log indexes (offsets.bin, hashes.bin) rebuilt from entries.log under the signed head',
      });
      // Restored (the gateway may have appended since: compare what was there).
      expect(readFileSync(target).subarray(0, original.length)).toEqual(original);
      const r = await runAudit(['verify', ...common(copyGw.url), '--entries']);
      expect(r.code, r.err).toBe(0);
    } finally {
      await copyGw.stop();
    }
  });

  it('catches a rewritten history: start-up refuses while the signed head is kept, verify fails when it is not', async () => {
    const copy = copyOfDir();
    const auditDir = path.join(copy, 'data', 'audit');
    const signedHead = readFileSync(path.join(auditDir, HEAD_FILE));
    // Rebuild the whole log with entry 3 altered: every stored hash is self-consistent.
    const original = await openFileLogStore(auditDir);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < original.size(); i++) leaves.push(await original.leaf(i));
    await original.close();
    const entry = JSON.parse(Buffer.from(leaves[3]!).toString('utf8')) as Record<string, unknown>;
    leaves[3] = Buffer.from(canonicalize({ ...entry, target: 'acme/forged' }));
    rmSync(auditDir, { recursive: true });
    const forged = await openFileLogStore(auditDir);
    for (const leaf of leaves) await forged.append(leaf);
    await forged.close();

    // Files without their signed head are refused (the head could have hidden a cut)...
    expect(await expectStartRefused(copy)).toMatch(/head\.bin is missing or empty but the log/);
    // ...and with the real signed head kept, the rewritten files do not hold its tree.
    writeFileSync(path.join(auditDir, HEAD_FILE), signedHead);
    expect(await expectStartRefused(copy)).toMatch(/not the root head\.bin signed/);

    // Whoever holds the log key can sign a head over the forged files: the gateway starts,
    // but the auditor's saved state catches it.
    unlinkSync(path.join(auditDir, HEAD_FILE));
    const key = await loadOrCreateLogKey(path.join(copy, 'data', 'audit-log.key'));
    const resigned = await openFileLogStore(auditDir, {
      signer: checkpointHeadSigner(noteVerifier(ORIGIN_OF_TESTS, key.publicKey), key.secretKey),
      adoptUnsignedLog: true,
    });
    await resigned.close();
    await gw.stop();
    const forgedGw = await startGateway({ client, policy, dir: copy });
    try {
      const r = await runAudit([
        'verify',
        '--url',
        forgedGw.url,
        '--api-key',
        client.apiKey,
        '--vkey',
        vkey,
        '--state',
        stateFile,
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /^audit verify: FAILED: (log of size \d+ now has a different root|signed checkpoint of size \d+ is NOT consistent)/,
      );
    } finally {
      await forgedGw.stop();
    }
  });
});

async function size(): Promise<number> {
  const r = (await (await gw.get('/v1/audit/proofs/inclusion?index=0')).json()) as { size: number };
  return r.size;
}
