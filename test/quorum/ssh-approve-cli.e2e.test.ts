import { serve, type ServerType } from '@hono/node-server';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCommand } from '../../src/cli/approve.js';
import { keygenCommand, readApproverKeyFile } from '../../src/cli/keygen.js';
import { toHex } from '../../src/crypto/index.js';
import { SSH_KEYGEN_REQUIRED, hasSshKeygen } from '../helpers/ssh-signatures.js';
import { deployEvent, quorumApp } from './quorum-app.js';

/**
 * `codex-gateway approve --ssh-key` end to end: the real CLI runs the real ssh-keygen and
 * posts to the real app listening on a port; a second approver with a codex key file
 * (raw Ed25519) completes the mixed quorum.
 */

function captureIo(answer?: string) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (s: string) => void out.push(s),
      err: (s: string) => void err.push(s),
      ...(answer === undefined ? {} : { prompt: () => Promise.resolve(answer) }),
    },
  };
}

describe.runIf(hasSshKeygen() || SSH_KEYGEN_REQUIRED)('codex-gateway approve --ssh-key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ssh-approve-'));
  const sshKey = path.join(dir, 'id_ed25519');
  const bobKey = path.join(dir, 'bob.key');
  let gw: ReturnType<typeof quorumApp>;
  let server: ServerType;
  let url: string;
  let fingerprint: string;

  beforeAll(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@test', '-f', sshKey]);
    fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${sshKey}.pub`])
      .toString()
      .split(' ')[1]!;
    expect(await keygenCommand(['--out', bobKey, '--name', 'bob'], captureIo().io)).toBe(0);
    gw = quorumApp({ startMs: Date.now() });
    gw.policy.load({
      version: 1,
      clients: { [gw.client.id]: { actions: ['build', 'deploy'] } },
      approvers: {
        alice: readFileSync(`${sshKey}.pub`, 'utf8').trim(),
        bob: toHex(readApproverKeyFile(bobKey).publicKey),
        carol: toHex(gw.keys.get('carol')!.publicKey),
      },
      quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
    });
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
  const base = () => ['--url', url, '--api-key', gw.client.apiKey];

  it('shows the deploy and the key fingerprint, signs with ssh-keygen, and a raw approval releases it', async () => {
    const deploy = await newDeploy();
    const a = captureIo('y');
    const code = await approveCommand(
      [...base(), '--ssh-key', sshKey, '--approver', 'alice', deploy.id],
      a.io,
    );
    expect(a.err.join('')).toBe('');
    expect(code).toBe(0);
    const out = a.out.join('');
    expect(out).toContain(`You are approving, as alice (SSH key ${fingerprint} (ED25519)):`);
    expect(out).toContain(`deploy       ${deploy.id}`);
    expect(out.indexOf('target       acme/web')).toBeLessThan(
      out.indexOf('Signing with ssh-keygen'),
    );
    expect(out).toContain(`approval recorded: deploy ${deploy.id} is pending (1/2)`);
    expect(gw.audit.entries.find((e) => e.type === 'approval')).toMatchObject({
      approver: 'alice',
      signatureFormat: 'sshsig-ed25519',
      keyFingerprint: fingerprint,
    });

    const b = captureIo();
    expect(await approveCommand([...base(), '--key', bobKey, '--yes', deploy.id], b.io)).toBe(0);
    expect(b.out.join('')).toContain('is approved (2/2)');
  });

  it('signs nothing when the approver says no, and refuses --key with --ssh-key', async () => {
    const deploy = await newDeploy();
    const no = captureIo('n');
    expect(
      await approveCommand(
        [...base(), '--ssh-key', sshKey, '--approver', 'alice', deploy.id],
        no.io,
      ),
    ).toBe(1);
    expect(no.out.join('')).not.toContain('Signing with ssh-keygen');
    const both = captureIo();
    expect(
      await approveCommand(
        [...base(), '--ssh-key', sshKey, '--key', bobKey, '--approver', 'alice', deploy.id],
        both.io,
      ),
    ).toBe(2);
    expect(
      gw.audit.entries.filter((e) => e.type === 'approval' && e['deploy'] === deploy.id),
    ).toEqual([]);
  });

  it('refuses to post when ssh-keygen signs with a key other than the .pub shown', async () => {
    const deploy = await newDeploy();
    // A .pub beside the key that is NOT its public half: what was confirmed is not what signs.
    const other = path.join(dir, 'other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const liar = path.join(dir, 'liar');
    writeFileSync(liar, readFileSync(other), { mode: 0o600 });
    writeFileSync(`${liar}.pub`, readFileSync(`${sshKey}.pub`));
    const c = captureIo();
    expect(
      await approveCommand(
        [...base(), '--ssh-key', liar, '--approver', 'alice', '--yes', deploy.id],
        c.io,
      ),
    ).toBe(1);
    // Refused before anything is posted (by ssh-keygen itself, or by the CLI's own check).
    expect(c.err.join('')).toMatch(/FAILED: ssh-keygen (failed|did not sign with the key)/);
    expect(
      gw.audit.entries.filter((e) => e.type === 'approval' && e['deploy'] === deploy.id),
    ).toEqual([]);
  });
});
