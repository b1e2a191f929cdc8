import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCommand } from '../../src/cli/approve.js';
import { keygenCommand, readApproverKeyFile } from '../../src/cli/keygen.js';
import { sha256Hex, signEd25519, toHex } from '../../src/crypto/index.js';
import { tempDir } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { deployEvent } from './quorum-app.js';

const silent = { out: () => {}, err: () => {} };

/**
 * The whole flow against the real server process (src/main.ts): real policy file and hot
 * reload, keys made by `keygen`, approvals made by `approve`.
 */
describe('deploy quorum in a running gateway', () => {
  let gw: GatewayProcess;
  let keysDir: string;
  const keyFiles = new Map<string, string>();
  const publicKeys = new Map<string, string>();

  const policyDoc = (approvers: string[]) => ({
    version: 1,
    clients: { 'ci-main': { actions: ['build', 'deploy'] } },
    approvers: Object.fromEntries(publicKeys),
    quorum: { deploy: { threshold: 2, approvers, ttlSeconds: 600 } },
  });

  beforeAll(async () => {
    keysDir = tempDir('codex-quorum-keys-');
    for (const name of ['alice', 'bob', 'carol']) {
      const file = path.join(keysDir, `${name}.key`);
      let printed = '';
      const code = await keygenCommand(['--out', file, '--name', name], {
        out: (s) => (printed += s),
        err: () => {},
      });
      expect(code).toBe(0);
      keyFiles.set(name, file);
      publicKeys.set(name, printed.trim());
    }
    gw = await startGateway({ policy: policyDoc(['alice', 'bob', 'carol']) });
  });
  afterAll(async () => {
    await gw?.stop();
    if (gw !== undefined) rmSync(gw.dir, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
  });

  const approve = (name: string, id: string) =>
    approveCommand(
      ['--url', gw.url, '--api-key', gw.client.apiKey, '--key', keyFiles.get(name)!, '--yes', id],
      silent,
    );

  async function reload(doc: unknown): Promise<void> {
    const text = JSON.stringify(doc, null, 2);
    writeFileSync(path.join(gw.dir, 'policy.json'), text);
    gw.child.kill('SIGHUP');
    const revision = `sha256:${sha256Hex(text)}`;
    for (let i = 0; i < 100; i++) {
      const status = (await (await gw.get('/v1/policy')).json()) as { revision?: string };
      if (status.revision === revision) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('policy reload not observed');
  }

  it('holds the deploy, counts distinct approvers and honours a hot reload', async () => {
    const res = await gw.post('/v1/events', deployEvent);
    expect(res.status).toBe(202);
    const { deploy } = (await res.json()) as { deploy: { id: string; message: string } };

    expect(await approve('alice', deploy.id)).toBe(0);
    expect(await approve('alice', deploy.id)).toBe(1); // already approved by alice

    await reload(policyDoc(['alice', 'carol']));
    // The CLI refuses bob locally (not listed); the server refuses him too.
    expect(await approve('bob', deploy.id)).toBe(1);
    const bobKey = readApproverKeyFile(keyFiles.get('bob')!);
    const direct = await fetch(`${gw.url}/v1/deploys/${deploy.id}/approvals`, {
      method: 'POST',
      headers: { 'x-api-key': gw.client.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        approver: 'bob',
        signature: toHex(signEd25519(new TextEncoder().encode(deploy.message), bobKey.secretKey)),
      }),
    });
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { code: string }).code).toBe('unknown_approver');

    expect(await approve('carol', deploy.id)).toBe(0);
    const view = (await (await gw.get(`/v1/deploys/${deploy.id}`)).json()) as {
      state: string;
      approvedBy: string[];
    };
    expect(view).toMatchObject({ state: 'approved', approvedBy: ['alice', 'carol'] });

    // The durable audit log holds the pending decision, both approvals and the final allow.
    const checkpoint = await (await gw.get('/v1/audit/checkpoint')).text();
    const size = Number(checkpoint.split('\n')[1]);
    const entries: Record<string, unknown>[] = [];
    for (let i = 0; i < size; i++) {
      const res = await gw.get(`/v1/audit/entries/${i}`);
      expect(res.status).toBe(200);
      entries.push(((await res.json()) as { entry: Record<string, unknown> }).entry);
    }
    const mine = entries.filter((e) => e['deploy'] === deploy.id);
    expect(mine.map((e) => [e['type'], e['decision'] ?? e['approver']])).toEqual([
      ['decision', 'pending'],
      ['approval', expect.any(String)],
      ['approval', expect.any(String)],
      ['decision', 'allow'],
    ]);
    expect(mine.filter((e) => e['type'] === 'approval').map((e) => e['approver'])).toEqual([
      'alice',
      'carol',
    ]);
    expect(mine[3]).toMatchObject({ approvers: ['alice', 'carol'], reasons: [] });
  });
});
