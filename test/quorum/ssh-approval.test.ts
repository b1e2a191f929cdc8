import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.js';
import { parseApproverKey } from '../../src/policy/approver-key.js';
import {
  SSH_APPROVAL_NAMESPACE,
  checkSshApproval,
  verifySshApproval,
} from '../../src/quorum/ssh-approval.js';
import {
  hasSshKeygen,
  makeSkKey,
  sshKeygenKey,
  sshKeygenSign,
  sshVector,
  sshsigArmor,
} from '../helpers/ssh-signatures.js';

const message = sshVector('message.txt');
const alicePub = sshVector('alice.pub').trim();
const aliceKey = (() => {
  const p = parseApproverKey(alicePub);
  if (!p.ok) throw new Error(p.problem);
  return p.key;
})();

describe('verifySshApproval(message, sshSignatureArmor, policyKey)', () => {
  it('accepts the ssh-keygen vectors for the policy line, the parsed key and the same key as hex', () => {
    for (const sig of ['alice.sha512.sig', 'alice.sha256.sig']) {
      expect(verifySshApproval(message, sshVector(sig), alicePub)).toBe(true);
      expect(verifySshApproval(message, sshVector(sig), aliceKey)).toBe(true);
      expect(verifySshApproval(message, sshVector(sig), toHex(aliceKey.ssh.publicKey))).toBe(true);
    }
  });

  it.each([
    ['another approver key', 'bob.sha512.sig', alicePub],
    ['the wrong namespace', 'alice.namespace-git.sig', alicePub],
    ['a signature over other bytes', 'alice.other-message.sig', alicePub],
    ['an RSA key', 'rsa.sig', sshVector('rsa.pub').trim()],
    ['an ECDSA key', 'ecdsa.sig', sshVector('ecdsa.pub').trim()],
    ['a policy key that is not a key', 'alice.sha512.sig', 'not a key'],
  ])('refuses %s', (_name, sig, policyKey) => {
    expect(verifySshApproval(message, sshVector(sig), policyKey)).toBe(false);
  });

  it('refuses a message differing in one byte, and never throws on junk', () => {
    expect(
      verifySshApproval(message.replace('prod', 'prod2'), sshVector('alice.sha512.sig'), alicePub),
    ).toBe(false);
    for (const junk of ['', '-----BEGIN SSH SIGNATURE-----\n', 'x'.repeat(10_000), '\u0000'])
      expect(verifySshApproval(message, junk, alicePub)).toBe(false);
    expect(verifySshApproval(message, 42 as unknown as string, alicePub)).toBe(false);
  });

  it('reports format, hash and fingerprint for the audit entry', () => {
    expect(checkSshApproval(message, sshVector('alice.sha256.sig'), aliceKey)).toEqual({
      ok: true,
      format: 'sshsig-ed25519',
      hashAlgorithm: 'sha256',
      fingerprint: sshVector('fingerprints.txt').split(' ')[1],
    });
  });

  it('accepts a security-key approval with user presence, refuses one without', () => {
    const sk = makeSkKey();
    const touched = sshsigArmor(message, sk.secretKey, sk.key, { flags: 0x01, counter: 9 });
    const untouched = sshsigArmor(message, sk.secretKey, sk.key, { flags: 0x00, counter: 10 });
    expect(verifySshApproval(message, touched, sk.line)).toBe(true);
    expect(verifySshApproval(message, untouched, sk.line)).toBe(false);
    const parsed = parseApproverKey(sk.line);
    expect(parsed.ok && checkSshApproval(message, touched, parsed.key)).toMatchObject({
      ok: true,
      format: 'sshsig-sk-ed25519',
      sk: { flags: 1, counter: 9 },
    });
  });

  it.runIf(hasSshKeygen())('accepts what the real ssh-keygen signs now, with a fresh key', () => {
    const { file, line } = sshKeygenKey();
    const armor = sshKeygenSign(file, message, SSH_APPROVAL_NAMESPACE);
    expect(verifySshApproval(message, armor, line)).toBe(true);
    expect(verifySshApproval(message, armor, alicePub)).toBe(false);
  });
});
