import { serve, type ServerType } from '@hono/node-server';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approveCommand } from '../../src/cli/approve.js';
import { keygenCommand, readApproverKeyFile } from '../../src/cli/keygen.js';
import { toHex } from '../../src/crypto/index.js';
import { deployEvent, quorumApp, quorumPolicyDoc, type KeyPair } from './quorum-app.js';

function captureIo(answer?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  return {
    out,
    err,
    questions,
    io: {
      out: (s: string) => void out.push(s),
      err: (s: string) => void err.push(s),
      ...(answer === undefined
        ? {}
        : {
            prompt: (q: string) => {
              questions.push(q);
              return Promise.resolve(answer);
            },
          }),
    },
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'codex-quorum-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keygen(name: string): Promise<{ file: string; publicKey: string }> {
  const file = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.key`);
  const c = captureIo();
  expect(await keygenCommand(['--out', file, '--name', name], c.io)).toBe(0);
  return { file, publicKey: c.out.join('').trim() };
}

describe('codex-gateway keygen', () => {
  it('writes a 0600 key file and prints its public key hex', async () => {
    const { file, publicKey } = await keygen('alice');
    expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readApproverKeyFile(file);
    expect(key.approver).toBe('alice');
    expect(toHex(key.publicKey)).toBe(publicKey);
  });

  it('never overwrites an existing key file', async () => {
    const { file } = await keygen('bob');
    const before = readFileSync(file, 'utf8');
    const c = captureIo();
    expect(await keygenCommand(['--out', file], c.io)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses to load a key file readable by others', async () => {
    const { file } = await keygen('carol');
    chmodSync(file, 0o644);
    expect(() => readApproverKeyFile(file)).toThrow(/readable by group or others/);
  });
});

describe('codex-gateway approve against a listening gateway', () => {
  const files = new Map<string, string>();
  let gw: ReturnType<typeof quorumApp>;
  let server: ServerType;
  let url: string;

  beforeAll(async () => {
    gw = quorumApp({ startMs: Date.now() });
    // Replace the generated approver keys by keys made with the CLI itself.
    const keys = new Map<string, KeyPair>();
    for (const name of ['alice', 'bob', 'carol']) {
      const { file } = await keygen(name);
      files.set(name, file);
      const k = readApproverKeyFile(file);
      keys.set(name, { secretKey: k.secretKey, publicKey: k.publicKey });
    }
    gw.policy.load(
      quorumPolicyDoc(gw.client.id, keys, { threshold: 2, approvers: ['alice', 'bob', 'carol'] }),
    );
    server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => (server as Server).once('listening', resolve));
    url = `http://127.0.0.1:${((server as Server).address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
  });

  async function newDeploy(): Promise<{ id: string; message: string }> {
    const res = await gw.postEvent(deployEvent);
    expect(res.status).toBe(202);
    return ((await res.json()) as { deploy: { id: string; message: string } }).deploy;
  }
  const run = (name: string, id: string, c: ReturnType<typeof captureIo>, extra: string[] = []) =>
    approveCommand(
      ['--url', url, '--api-key', gw.client.apiKey, '--key', files.get(name)!, ...extra, id],
      c.io,
    );

  it('shows the deploy, signs and posts; the second approver releases it', async () => {
    const deploy = await newDeploy();
    const a = captureIo();
    expect(await run('alice', deploy.id, a, ['--yes'])).toBe(0);
    const shown = a.out.join('');
    expect(shown).toContain(`deploy       ${deploy.id}`);
    expect(shown).toContain('target       acme/web');
    expect(shown).toContain(`artifact     ${deployEvent.deploy.artifact}`);
    expect(shown).toContain(`approval recorded: deploy ${deploy.id} is pending (1/2)`);

    const b = captureIo();
    expect(await run('bob', deploy.id, b, ['--yes'])).toBe(0);
    expect(b.out.join('')).toContain('is approved (2/2)');

    const c = captureIo();
    expect(await run('carol', deploy.id, c, ['--yes'])).toBe(1);
    expect(c.err.join('')).toContain('deploy is approved');
  });

  it('asks for confirmation without --yes and does nothing on "n"', async () => {
    const deploy = await newDeploy();
    const no = captureIo('n');
    expect(await run('alice', deploy.id, no)).toBe(1);
    expect(no.questions).toHaveLength(1);
    const view = (await (await gw.getDeploy(deploy.id)).json()) as { approvedBy: string[] };
    expect(view.approvedBy).toEqual([]);

    const yes = captureIo('y');
    expect(await run('alice', deploy.id, yes)).toBe(0);
    const after = (await (await gw.getDeploy(deploy.id)).json()) as { approvedBy: string[] };
    expect(after.approvedBy).toEqual(['alice']);
  });

  it('refuses without a terminal and without --yes', async () => {
    const deploy = await newDeploy();
    const c = captureIo();
    expect(await run('alice', deploy.id, c)).toBe(1);
    expect(c.err.join('')).toContain('--yes');
  });

  it('reports the server code for an unknown deploy', async () => {
    const c = captureIo();
    expect(await run('alice', '0'.repeat(32), c, ['--yes'])).toBe(1);
    expect(c.err.join('')).toContain('404 unknown_deploy');
  });
});

describe('codex-gateway approve against a server that lies about the message', () => {
  let lying: Server;
  let url: string;
  let posts = 0;
  let message = '';
  let shownId = '';
  let shownExpiresAt = '';
  let keyFile = '';

  beforeAll(async () => {
    keyFile = (await keygen('alice')).file;
    lying = createServer((req, res) => {
      if (req.method === 'POST') posts++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: shownId,
          state: 'pending',
          threshold: 2,
          approvers: ['alice', 'bob'],
          approvedBy: [],
          expiresAt: shownExpiresAt,
          message,
        }),
      );
    });
    await new Promise<void>((resolve) => lying.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(lying.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => lying.close(() => resolve()));
  });
  afterEach(() => {
    expect(posts).toBe(0);
  });

  const id = 'ab'.repeat(16);
  const expires = Math.floor(Date.now() / 1000) + 600;
  const honest =
    `codex-approval/v1\ndeploy ${id}\naction deploy\ntarget acme/web\nenvironment prod\n` +
    `artifact sha256:${'cd'.repeat(32)}\nrequest sha256:${'ef'.repeat(32)}\n` +
    `policy sha256:${'01'.repeat(32)}\nexpires ${expires}\n`;

  it.each([
    ['an extra line', honest + 'also deploy evil/repo\n', id],
    ['a missing final newline', honest.slice(0, -1), id],
    [
      'another deploy id in the message',
      honest.replace(`deploy ${id}`, `deploy ${'cd'.repeat(16)}`),
      id,
    ],
    ['another deploy id in the view', honest, 'cd'.repeat(16)],
  ])('refuses %s and posts nothing', async (_name, text, viewId) => {
    message = text;
    shownId = viewId;
    shownExpiresAt = new Date(expires * 1000).toISOString();
    const c = captureIo();
    const code = await approveCommand(
      ['--url', url, '--api-key', 'k', '--key', keyFile, '--yes', id],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.err.join('')).toContain('REFUSED');
  });

  it('refuses an expiresAt that differs from the signed expiry', async () => {
    message = honest;
    shownId = id;
    shownExpiresAt = new Date((expires + 3600) * 1000).toISOString();
    const c = captureIo();
    expect(
      await approveCommand(['--url', url, '--api-key', 'k', '--key', keyFile, '--yes', id], c.io),
    ).toBe(1);
    expect(c.err.join('')).toContain('REFUSED');
  });

  it('accepts the honest message (the lying server is otherwise well formed)', async () => {
    message = honest;
    shownId = id;
    shownExpiresAt = new Date(expires * 1000).toISOString();
    posts = 0;
    const c = captureIo();
    // The honest text passes every check, so the CLI posts once; the fake answers a view.
    expect(
      await approveCommand(['--url', url, '--api-key', 'k', '--key', keyFile, '--yes', id], c.io),
    ).toBe(0);
    expect(posts).toBe(1);
    posts = 0; // checked above; reset for the afterEach guard
  });
});
