import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { armorSshSignature, dearmorSshSignature, toHex } from '../../src/crypto/index.js';
import {
  SSH_KEYGEN_REQUIRED,
  hasSshKeygen,
  makeSkKey,
  makeSshKey,
  sshKeygenSign,
  sshsigArmor,
} from '../helpers/ssh-signatures.js';
import { deployEvent, quorumApp } from './quorum-app.js';

/**
 * POST /v1/deploys/:id/approvals with `sshSignature` (docs/protocol.md §12) through the real app:
 * ssh-keygen-made signatures for an `ssh-ed25519` approver, format-exact FIDO signatures for
 * an `sk-ssh-ed25519@openssh.com` approver, raw signatures beside them (mixed quorums), and
 * every refusal of issue 17 answered 401 `invalid_approval` with no vote recorded.
 */

type Gw = ReturnType<typeof quorumApp>;

/** A fresh key made by the real ssh-keygen: private key path, .pub line, `ssh-keygen -l` fingerprint. */
function keygen(type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519') {
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  const file = `${dir}/id_${type}`;
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${type}@test`, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`])
    .toString()
    .split(' ')[1]!;
  return { file, line, fingerprint };
}

/** What `ssh-keygen -l` prints as the fingerprint of a public key line. */
function fingerprintOf(line: string): string {
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  writeFileSync(`${dir}/key.pub`, `${line}\n`);
  return execFileSync('ssh-keygen', ['-l', '-f', `${dir}/key.pub`])
    .toString()
    .split(' ')[1]!;
}

interface View {
  id: string;
  state: string;
  approvedBy: string[];
  message: string;
}

describe.runIf(hasSshKeygen() || SSH_KEYGEN_REQUIRED)('approvals with sshSignature (§12)', () => {
  let alice: ReturnType<typeof keygen>;
  let stranger: ReturnType<typeof keygen>;
  let rsa: ReturnType<typeof keygen>;
  let ecdsa: ReturnType<typeof keygen>;
  const carol = makeSkKey();
  beforeAll(() => {
    alice = keygen();
    stranger = keygen();
    rsa = keygen('rsa');
    ecdsa = keygen('ecdsa');
  });

  /** alice: ssh-keygen key line; bob: raw hex; carol: security key; 2 of 3. */
  function gateway(): Gw {
    const gw = quorumApp({ startMs: Date.now() });
    gw.policy.load(policyDoc(gw, alice.line));
    return gw;
  }
  function policyDoc(gw: Gw, aliceValue: string): unknown {
    return {
      version: 1,
      clients: { [gw.client.id]: { actions: ['build', 'deploy'] } },
      approvers: {
        alice: aliceValue,
        bob: toHex(gw.keys.get('bob')!.publicKey),
        carol: carol.line,
      },
      quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
    };
  }
  async function open(gw: Gw): Promise<View> {
    const res = await gw.postEvent(deployEvent);
    expect(res.status).toBe(202);
    return ((await res.json()) as { deploy: View }).deploy;
  }
  async function view(gw: Gw, id: string): Promise<View> {
    return (await (await gw.getDeploy(id)).json()) as View;
  }

  it('refuses every bad SSH signature with 401 invalid_approval and records no vote', async () => {
    const gw = gateway();
    const deploy = await open(gw);
    const good = sshKeygenSign(alice.file, deploy.message);
    const lines = good.split('\n');
    const oversized = [lines[0], ...Array<string>(30).fill('A'.repeat(70)), ...lines.slice(1)].join(
      '\n',
    );
    const blob = dearmorSshSignature(good)!;
    const refusals: [string, string, string][] = [
      ['wrong namespace', 'alice', sshKeygenSign(alice.file, deploy.message, 'git')],
      ['other bytes', 'alice', sshKeygenSign(alice.file, `${deploy.message}x`)],
      ["another approver's key", 'alice', sshKeygenSign(stranger.file, deploy.message)],
      ['an RSA key', 'alice', sshKeygenSign(rsa.file, deploy.message)],
      ['an ECDSA key', 'alice', sshKeygenSign(ecdsa.file, deploy.message)],
      ['truncated armor', 'alice', good.slice(0, good.length - 40)],
      ['oversized armor', 'alice', oversized],
      ['trailing garbage after the armor', 'alice', `${good}x`],
      ['trailing bytes in the blob', 'alice', armorSshSignature(new Uint8Array([...blob, 0]))],
      ['a byte changed', 'alice', armorSshSignature(blob.map((b, i) => (i === 80 ? b ^ 1 : b)))],
      [
        'hash name sha384',
        'carol',
        sshsigArmor(deploy.message, carol.secretKey, carol.key, { hash: 'sha384' as 'sha512' }),
      ],
      [
        'a security key without user presence',
        'carol',
        sshsigArmor(deploy.message, carol.secretKey, carol.key, { flags: 0 }),
      ],
      ["alice's signature sent as carol", 'carol', good],
    ];
    for (const [name, approver, sshSignature] of refusals) {
      const res = await gw.postApproval(deploy.id, { approver, sshSignature });
      expect(res.status, name).toBe(401);
      expect(((await res.json()) as { code: string }).code, name).toBe('invalid_approval');
    }
    expect(oversized.length).toBeLessThan(4096); // refused by the verifier, not the body limit
    // A security key never approves with a raw signature (no user-presence proof).
    const raw = await gw.postApproval(deploy.id, {
      approver: 'carol',
      signature: 'ab'.repeat(64),
    });
    expect(raw.status).toBe(401);
    // Both, or a non-string: the body's shape is wrong.
    for (const body of [
      { approver: 'alice', signature: 'ab'.repeat(64), sshSignature: good },
      { approver: 'alice', sshSignature: 42 },
      { approver: 'alice', sshSignature: '' },
    ])
      expect((await gw.postApproval(deploy.id, body)).status).toBe(400);

    expect((await view(gw, deploy.id)).approvedBy).toEqual([]);
    expect(gw.audit.entries.filter((e) => e.type === 'approval')).toEqual([]);
  });

  it('mixed quorum: an ssh-keygen approval and a raw one release the deploy; audit records format and fingerprint', async () => {
    const gw = gateway();
    const deploy = await open(gw);
    const armor = sshKeygenSign(alice.file, deploy.message);
    const first = await gw.postApproval(deploy.id, { approver: 'alice', sshSignature: armor });
    expect(first.status).toBe(200);
    expect(((await first.json()) as View).state).toBe('pending');
    // The same approver again (any format): 409.
    const again = await gw.postApproval(deploy.id, {
      approver: 'alice',
      sshSignature: sshKeygenSign(alice.file, deploy.message),
    });
    expect(again.status).toBe(409);
    const second = await gw.postApproval(deploy.id, {
      approver: 'bob',
      signature: gw.sign(deploy.message, 'bob'),
    });
    expect(second.status).toBe(200);
    expect(((await second.json()) as View).state).toBe('approved');

    const approvals = gw.audit.entries.filter((e) => e.type === 'approval');
    expect(approvals).toHaveLength(2);
    expect(approvals[0]).toMatchObject({
      approver: 'alice',
      sshSignature: armor,
      signatureFormat: 'sshsig-ed25519',
      keyFingerprint: alice.fingerprint,
    });
    expect(approvals[0]).not.toHaveProperty('signature');
    expect(approvals[1]).toMatchObject({ approver: 'bob', signatureFormat: 'ed25519' });
    expect(approvals[1]!['keyFingerprint']).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('a security-key approval with user presence counts (sshsig-sk-ed25519 in the audit)', async () => {
    const gw = gateway();
    const deploy = await open(gw);
    const touched = sshsigArmor(deploy.message, carol.secretKey, carol.key, { counter: 3 });
    expect(
      (await gw.postApproval(deploy.id, { approver: 'carol', sshSignature: touched })).status,
    ).toBe(200);
    const res = await gw.postApproval(deploy.id, {
      approver: 'alice',
      sshSignature: sshKeygenSign(alice.file, deploy.message, 'codex-approval'),
    });
    expect(((await res.json()) as View).state).toBe('approved');
    expect(gw.audit.entries.find((e) => e.type === 'approval')).toMatchObject({
      approver: 'carol',
      signatureFormat: 'sshsig-sk-ed25519',
      keyFingerprint: fingerprintOf(carol.line),
    });
  });

  it('a vote stays bound to its key: re-spelling keeps it, another key drops it', async () => {
    const [type, b64] = alice.line.split(' ');
    const hex = toHex(Buffer.from(b64!, 'base64').subarray(-32));
    for (const [respelled, expected] of [
      [`${type} ${b64} renamed-laptop`, 'approved'],
      [hex, 'approved'],
      [makeSshKey().line, 'pending'],
    ] as const) {
      const gw = gateway();
      const deploy = await open(gw);
      const armor = sshKeygenSign(alice.file, deploy.message);
      const first = await gw.postApproval(deploy.id, { approver: 'alice', sshSignature: armor });
      expect(first.status).toBe(200);
      gw.policy.load(policyDoc(gw, respelled));
      const res = await gw.postApproval(deploy.id, {
        approver: 'bob',
        signature: gw.sign(deploy.message, 'bob'),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as View).state, respelled).toBe(expected);
    }
  });

  it('the same key listed as 64 hex verifies its SSH signatures too', async () => {
    const gw = gateway();
    const hex = toHex(Buffer.from(alice.line.split(' ')[1]!, 'base64').subarray(-32));
    gw.policy.load(policyDoc(gw, hex));
    const deploy = await open(gw);
    const res = await gw.postApproval(deploy.id, {
      approver: 'alice',
      sshSignature: sshKeygenSign(alice.file, deploy.message),
    });
    expect(res.status).toBe(200);
  });
});
