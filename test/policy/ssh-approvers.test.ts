import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { toHex } from '../../src/crypto/index.js';
import { makeSkKey, makeSshKey, sshKeyLine, sshVector } from '../helpers/ssh-signatures.js';
import { compileErrors, compileOrThrow, shippedPolicyJson } from './fixtures.js';

const alicePub = sshVector('alice.pub').trim();
const bobPub = sshVector('bob.pub').trim();

function withApprovers(approvers: Record<string, string>): unknown {
  const names = Object.keys(approvers);
  return {
    ...shippedPolicyJson(),
    approvers,
    quorum: { deploy: { threshold: 1, approvers: names } },
  };
}

describe('policy approvers as OpenSSH public key lines (docs/protocol.md §12)', () => {
  it('accepts ssh-ed25519 and sk-ssh-ed25519@openssh.com lines beside hex keys', () => {
    const sk = makeSkKey();
    const raw = makeSshKey();
    const p = compileOrThrow(
      withApprovers({ alice: alicePub, bob: sk.line, carol: toHex(raw.key.publicKey) }),
    );
    expect(p.approverNames).toEqual(['alice', 'bob', 'carol']);
    expect(p.approver('alice')).toMatchObject({ format: 'openssh', label: 'ED25519' });
    expect(p.approver('bob')).toMatchObject({ format: 'openssh', label: 'ED25519-SK' });
    expect(p.approver('carol')).toMatchObject({ format: 'hex', label: 'ED25519' });
    // Vote identity: hex for plain keys whatever the spelling, the comment-free line for sk.
    expect(p.approver('carol')!.id).toBe(toHex(raw.key.publicKey));
    expect(p.approver('alice')!.id).toBe(toHex(p.approver('alice')!.ssh.publicKey));
    expect(p.approver('bob')!.id).toBe(sk.line.replace(/ sk-test$/, ''));
    // Raw (hex) signatures: plain keys only; a security key must prove user presence.
    expect(p.approverKey('alice')).toHaveLength(32);
    expect(p.approverKey('bob')).toBeUndefined();
  });

  it('treats one key in two formats as a duplicate (hex vs ssh-ed25519 vs sk)', () => {
    const k = makeSshKey();
    const sameAsSk = sshKeyLine({
      type: 'sk-ssh-ed25519@openssh.com',
      publicKey: k.key.publicKey,
      application: 'ssh:',
    });
    expect(compileErrors(withApprovers({ alice: k.line, bob: toHex(k.key.publicKey) }))).toEqual([
      'approvers.bob: same key as approver "alice"',
    ]);
    expect(compileErrors(withApprovers({ alice: k.line, bob: sameAsSk }))).toEqual([
      'approvers.bob: same key as approver "alice"',
    ]);
    // Comments do not make a key different.
    expect(compileErrors(withApprovers({ alice: k.line, bob: `${k.line} laptop` }))).toEqual([
      'approvers.bob: same key as approver "alice"',
    ]);
  });

  it.each([
    [
      'an RSA key',
      sshVector('rsa.pub').trim(),
      /^approvers\.alice: must be 64 lowercase hex characters or an OpenSSH/,
    ],
    [
      'an ECDSA key',
      sshVector('ecdsa.pub').trim(),
      /^approvers\.alice: must be 64 lowercase hex characters or an OpenSSH/,
    ],
    [
      'a small-order ssh-ed25519 key',
      sshKeyLine({
        type: 'ssh-ed25519',
        publicKey: Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
      }),
      /^approvers\.alice: not an acceptable Ed25519 public key: small-order point$/,
    ],
    [
      'a line whose blob says another type',
      `sk-ssh-ed25519@openssh.com ${alicePub.split(' ')[1]}`,
      /^approvers\.alice: key type in the line and in the key differ$/,
    ],
    ['a truncated key', alicePub.slice(0, 40), /^approvers\.alice: /],
    ['a comment with a control character', `${alicePub}\u001b[31m`, /^approvers\.alice: /],
  ])('refuses %s', (_name, value, error) => {
    const errors = compileErrors(withApprovers({ alice: value }));
    expect(errors[0]).toMatch(error);
  });
});

describe('policy check shows each approver as ssh-keygen -l does', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'policy-ssh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the fingerprint and key label ssh-keygen -l printed for the same keys', async () => {
    const file = path.join(dir, 'policy.json');
    const hexBob = toHex(
      compileOrThrow(withApprovers({ bob: bobPub })).approver('bob')!.ssh.publicKey,
    );
    writeFileSync(file, JSON.stringify(withApprovers({ alice: alicePub, bob: hexBob })));
    let out = '';
    const code = await runCli(['policy', 'check', file], { out: (t) => (out += t), err: () => {} });
    expect(code).toBe(0);
    const [aliceLine, bobLine] = sshVector('fingerprints.txt').split('\n');
    const fp = (line: string) => line.split(' ')[1]!;
    expect(out).toContain(`  approver alice: 256 ${fp(aliceLine!)} (ED25519)\n`);
    // The same key written as 64 hex has the same fingerprint.
    expect(out).toContain(`  approver bob: 256 ${fp(bobLine!)} (ED25519)\n`);
  });
});
