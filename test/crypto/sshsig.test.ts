import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SshEd25519Key,
  armorSshSignature,
  dearmorSshSignature,
  parseSshPublicKeyLine,
  sshFingerprint,
  verifySshSignature,
} from '../../src/crypto/index.js';
import { OPENSSH_ARMOR_WIDTH } from '../../src/crypto/sshsig-armor.js';
import {
  SSH_KEYGEN_REQUIRED,
  hasSshKeygen,
  makeSkKey,
  makeSshKey,
  sshKeyLine,
  sshVector,
  sshsigArmor,
  sshsigBlob,
} from '../helpers/ssh-signatures.js';

const NS = 'codex-approval';
const message = sshVector('message.txt');
const msgBytes = new TextEncoder().encode(message);

function keyOf(line: string): SshEd25519Key {
  const parsed = parseSshPublicKeyLine(line.trim());
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.key;
}
const alice = keyOf(sshVector('alice.pub'));
const bob = keyOf(sshVector('bob.pub'));
const verify = (armor: string, key = alice, bytes = msgBytes) =>
  verifySshSignature(armor, bytes, NS, key);

it.runIf(SSH_KEYGEN_REQUIRED)('CI has the real ssh-keygen (REQUIRE_SSH_KEYGEN=1)', () => {
  expect(hasSshKeygen()).toBe(true);
});

describe('SSHSIG known answers from the real ssh-keygen (test/vectors/sshsig)', () => {
  it.each(['sha512', 'sha256'] as const)('accepts alice.%s.sig over message.txt', (hash) => {
    const result = verify(sshVector(`alice.${hash}.sig`));
    expect(result).toMatchObject({ ok: true, hashAlgorithm: hash });
  });

  it('prints the fingerprints ssh-keygen -l printed', () => {
    const lines = sshVector('fingerprints.txt').split('\n');
    expect(lines[0]).toContain(` ${sshFingerprint(alice)} alice@example.com (ED25519)`);
    expect(lines[1]).toContain(` ${sshFingerprint(bob)} bob@example.com (ED25519)`);
  });

  it.each([
    ['bob.sha512.sig', 'signed by another key'],
    ['alice.namespace-git.sig', 'wrong namespace'],
    ['alice.other-message.sig', 'signature does not verify'],
    ['rsa.sig', 'unsupported key type "ssh-rsa" (only Ed25519)'],
    ['ecdsa.sig', 'unsupported key type "ecdsa-sha2-nistp256" (only Ed25519)'],
  ])('refuses %s (%s)', (file, reason) => {
    expect(verify(sshVector(file))).toEqual({ ok: false, reason });
  });

  it('refuses alice.sha512.sig for another message and for bob', () => {
    expect(verify(sshVector('alice.sha512.sig'), alice, msgBytes.slice(1)).ok).toBe(false);
    expect(verify(sshVector('alice.sha512.sig'), bob).ok).toBe(false);
  });

  it.each(['rsa.pub', 'ecdsa.pub'])('refuses the %s key line', (file) => {
    const parsed = parseSshPublicKeyLine(sshVector(file).trim());
    expect(parsed.ok).toBe(false);
  });
});

describe('armor parsing', () => {
  const good = sshVector('alice.sha512.sig');

  it('refuses every truncation and every extension by one character', () => {
    for (let n = 0; n < good.length; n++)
      expect(dearmorSshSignature(good.slice(0, n))).toBe(undefined);
    for (const extra of ['\n', ' ', 'x', '\r', '=']) expect(verify(good + extra).ok).toBe(false);
  });

  it('refuses trailing garbage inside the blob, re-armored', () => {
    const blob = dearmorSshSignature(good)!;
    const longer = new Uint8Array([...blob, 0]);
    expect(verify(armorSshSignature(longer))).toEqual({ ok: false, reason: 'bad signature field' });
  });

  it('refuses oversized armor before decoding it', () => {
    const lines = good.split('\n');
    const big = [lines[0], ...Array<string>(40).fill('A'.repeat(70)), ...lines.slice(1)].join('\n');
    expect(big.length).toBeGreaterThan(2048);
    expect(dearmorSshSignature(big)).toBe(undefined);
  });

  it('refuses CRLF, text before the header, uneven lines and non-canonical base64', () => {
    expect(verify(good.replaceAll('\n', '\r\n')).ok).toBe(false);
    expect(verify(`x${good}`).ok).toBe(false);
    const lines = good.split('\n');
    const uneven = [
      lines[0],
      lines[1]!.slice(0, 69),
      lines[1]!.slice(69) + lines[2]!,
      ...lines.slice(3),
    ];
    expect(dearmorSshSignature(uneven.join('\n'))).toBe(undefined);
    // Changing a padding-adjacent character's unused bits keeps the bytes but not the spelling.
    const body = lines.slice(1, -2).join('');
    expect(body.endsWith('==')).toBe(true);
    const bits = body.at(-3)!;
    const twin = String.fromCharCode(bits.charCodeAt(0) + 1);
    expect(Buffer.from(body.slice(0, -3) + twin + '==', 'base64')).toEqual(
      Buffer.from(body, 'base64'),
    );
    expect(
      verify(armorSshSignature(Buffer.from(body, 'base64')).replace(`${bits}==`, `${twin}==`)).ok,
    ).toBe(false);
  });

  it('accepts the same blob wrapped at 76 characters (PROTOCOL.sshsig SHOULD)', () => {
    const b64 = Buffer.from(dearmorSshSignature(good)!).toString('base64');
    const wrapped = b64.match(/.{1,76}/g)!.join('\n');
    expect(OPENSSH_ARMOR_WIDTH).toBe(70);
    expect(
      verify(`-----BEGIN SSH SIGNATURE-----\n${wrapped}\n-----END SSH SIGNATURE-----\n`).ok,
    ).toBe(true);
  });
});

describe('blob fields', () => {
  const k = makeSshKey();

  it('accepts an in-process signature built to the format (sanity for the builder)', () => {
    expect(verify(sshsigArmor(message, k.secretKey, k.key), k.key).ok).toBe(true);
  });

  it.each(['sha384', 'sha1', 'SHA512', 'sha512 '])(
    'refuses hash name %j, even when correctly signed',
    (hash) => {
      const armor = sshsigArmor(message, k.secretKey, k.key, { hash: hash as 'sha512' });
      expect(verify(armor, k.key).ok).toBe(false);
    },
  );

  it('refuses another namespace correctly signed', () => {
    const armor = sshsigArmor(message, k.secretKey, k.key, { namespace: 'git' });
    expect(verify(armor, k.key)).toEqual({ ok: false, reason: 'wrong namespace' });
  });

  it('refuses version 2 and a non-empty reserved field', () => {
    const blob = sshsigBlob(message, k.secretKey, k.key);
    const v2 = blob.slice();
    v2[9] = 2;
    expect(verify(armorSshSignature(v2), k.key)).toEqual({
      ok: false,
      reason: 'unsupported version',
    });
    // reserved follows: magic(6) version(4) key(4+51) namespace(4+14)
    const at = 6 + 4 + 4 + 51 + 4 + 14;
    expect([...blob.slice(at, at + 4)]).toEqual([0, 0, 0, 0]);
    const withReserved = new Uint8Array([
      ...blob.slice(0, at),
      0,
      0,
      0,
      1,
      0x41,
      ...blob.slice(at + 4),
    ]);
    expect(verify(armorSshSignature(withReserved), k.key).ok).toBe(false);
  });
});

describe('FIDO security keys (sk-ssh-ed25519@openssh.com)', () => {
  const sk = makeSkKey();

  it('accepts a signature with user presence and reports flags and counter', () => {
    const armor = sshsigArmor(message, sk.secretKey, sk.key, { flags: 0x05, counter: 42 });
    expect(verify(armor, sk.key)).toMatchObject({ ok: true, sk: { flags: 0x05, counter: 42 } });
  });

  it.each([0x00, 0x04, 0x80])('refuses flags %i (no user presence)', (flags) => {
    const armor = sshsigArmor(message, sk.secretKey, sk.key, { flags });
    expect(verify(armor, sk.key)).toEqual({
      ok: false,
      reason: 'security key signature without user presence',
    });
  });

  it('refuses the same key bytes under another application or as a plain key', () => {
    const armor = sshsigArmor(message, sk.secretKey, sk.key);
    const other: SshEd25519Key = { ...sk.key, application: 'ssh:other' } as SshEd25519Key;
    expect(verify(armor, other).ok).toBe(false);
    expect(verify(armor, { type: 'ssh-ed25519', publicKey: sk.key.publicKey }).ok).toBe(false);
  });

  it.runIf(hasSshKeygen())('is byte-for-byte what the real ssh-keygen -Y verify accepts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sksig-'));
    writeFileSync(path.join(dir, 'sig'), sshsigArmor(message, sk.secretKey, sk.key));
    writeFileSync(path.join(dir, 'allowed'), `alice namespaces="${NS}" ${sk.line}\n`);
    const r = spawnSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        path.join(dir, 'allowed'),
        '-I',
        'alice',
        '-n',
        NS,
        '-s',
        path.join(dir, 'sig'),
      ],
      { input: message },
    );
    expect(r.status).toBe(0);
    // ...and prints the fingerprint this module computes.
    expect(r.stdout.toString()).toContain(`ED25519-SK key ${sshFingerprint(sk.key)}`);
  });
});

describe('property: no byte-level mutation of a valid signature is ever accepted', () => {
  const sk = makeSkKey();
  const cases: [string, Uint8Array, SshEd25519Key][] = [
    ['ssh-keygen ed25519', dearmorSshSignature(sshVector('alice.sha512.sig'))!, alice],
    ['sk-ed25519', sshsigBlob(message, sk.secretKey, sk.key), sk.key],
  ];

  it.each(cases)('%s: every byte position, several values each', (_name, blob, key) => {
    expect(verify(armorSshSignature(blob), key).ok).toBe(true);
    for (let i = 0; i < blob.length; i++) {
      for (const delta of [1, 0x80, 0xff]) {
        const m = blob.slice();
        m[i] = (m[i]! + delta) & 0xff;
        expect(verify(armorSshSignature(m), key).ok, `byte ${i} +${delta}`).toBe(false);
      }
    }
  });

  it.each(cases)('%s: random armor-text substitutions', (_name, blob, key) => {
    const armor = armorSshSignature(blob);
    fc.assert(
      fc.property(
        fc.nat({ max: armor.length - 1 }),
        fc.constantFrom(...'AZaz09+/=\n\r -'.split('')),
        (i, ch) => {
          fc.pre(armor[i] !== ch);
          const mutated = armor.slice(0, i) + ch + armor.slice(i + 1);
          return !verify(mutated, key).ok;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseSshPublicKeyLine', () => {
  const k = makeSshKey();
  it('accepts a line with and without a comment, and keeps the comment out of the key', () => {
    expect(parseSshPublicKeyLine(k.line)).toMatchObject({ ok: true });
    expect(parseSshPublicKeyLine(k.line.replace(/ test$/, ''))).toMatchObject({ ok: true });
    expect(parseSshPublicKeyLine(sshKeyLine(k.key, 'Zoë Example <zoe@example.com>')).ok).toBe(true);
  });

  it.each([
    [
      'a small-order key',
      sshKeyLine({
        type: 'ssh-ed25519',
        publicKey: Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
      }),
    ],
    ['a type mismatch', `sk-ssh-ed25519@openssh.com ${k.line.split(' ')[1]}`],
    ['a control character in the comment', `${k.line}\u0007`],
    ['two spaces', k.line.replace(' ', '  ')],
    ['a truncated key', k.line.split(' ')[0] + ' ' + k.line.split(' ')[1]!.slice(0, -4)],
  ])('refuses %s', (_name, line) => {
    expect(parseSshPublicKeyLine(line).ok).toBe(false);
  });

  it('refuses trailing bytes after the key blob', () => {
    const blob = Buffer.concat([Buffer.from(k.line.split(' ')[1]!, 'base64'), Buffer.of(0)]);
    expect(parseSshPublicKeyLine(`ssh-ed25519 ${blob.toString('base64')}`)).toEqual({
      ok: false,
      problem: 'trailing bytes after the key',
    });
  });
});
