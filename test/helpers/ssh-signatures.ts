import { execFileSync, spawnSync } from 'node:child_process';
import { hash as nodeHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SK_SSH_ED25519,
  SSH_ED25519,
  type SshEd25519Key,
  type SshsigHash,
  armorSshSignature,
  concatBytes,
  generateEd25519KeyPair,
  signEd25519,
  skSignedData,
  sshKeyBlob,
  sshString,
  sshUint32,
  sshsigSignedData,
} from '../../src/crypto/index.js';
import { repoRoot } from './paths.js';

/**
 * Builders for SSH signatures in tests. Security-key (`sk-`) signatures cannot come from
 * hardware here, so they are built by following OpenSSH PROTOCOL.sshsig and PROTOCOL.u2f
 * byte for byte (the crypto tests prove the real ssh-keygen accepts what this builds).
 * Plain ed25519 ones come from the real `ssh-keygen` binary where it matters.
 */

/** Folder of the committed ssh-keygen vectors (see make-vectors.sh there). */
export const SSHSIG_VECTORS = path.join(repoRoot, 'test/vectors/sshsig');

/** A committed vector file as text. */
export function sshVector(name: string): string {
  return readFileSync(path.join(SSHSIG_VECTORS, name), 'utf8');
}

/** An OpenSSH public key line for a key. */
export function sshKeyLine(key: SshEd25519Key, comment?: string): string {
  const b64 = Buffer.from(sshKeyBlob(key)).toString('base64');
  return `${key.type} ${b64}${comment === undefined ? '' : ` ${comment}`}`;
}

/** A fresh software "security key": an Ed25519 pair presented as sk-ssh-ed25519. */
export function makeSkKey(application = 'ssh:'): {
  secretKey: Uint8Array;
  key: SshEd25519Key;
  line: string;
} {
  const { secretKey, publicKey } = generateEd25519KeyPair();
  const key: SshEd25519Key = { type: SK_SSH_ED25519, publicKey, application };
  return { secretKey, key, line: sshKeyLine(key, 'sk-test') };
}

/** A fresh plain ssh-ed25519 key made in-process. */
export function makeSshKey(): { secretKey: Uint8Array; key: SshEd25519Key; line: string } {
  const { secretKey, publicKey } = generateEd25519KeyPair();
  const key: SshEd25519Key = { type: SSH_ED25519, publicKey };
  return { secretKey, key, line: sshKeyLine(key, 'test') };
}

export interface SignOptions {
  namespace?: string;
  hash?: SshsigHash;
  /** FIDO flags byte (sk keys); default 0x01 (user present). */
  flags?: number;
  counter?: number;
}

/** The SSHSIG blob (unarmored) for `message`, signed in-process following the formats exactly. */
export function sshsigBlob(
  message: Uint8Array | string,
  secretKey: Uint8Array,
  key: SshEd25519Key,
  opts: SignOptions = {},
): Uint8Array {
  const namespace = opts.namespace ?? 'codex-approval';
  const hash = opts.hash ?? 'sha512';
  const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
  // Any hash NAME can be put in the blob (to test refusals); the digest uses that algorithm
  // when node knows it, else sha512, so only the name is wrong.
  const data =
    hash === 'sha256' || hash === 'sha512'
      ? sshsigSignedData(namespace, hash, bytes)
      : concatBytes(
          new TextEncoder().encode('SSHSIG'),
          sshString(namespace),
          sshString(new Uint8Array(0)),
          sshString(hash),
          sshString(nodeHash(['sha384', 'sha1'].includes(hash) ? hash : 'sha512', bytes, 'buffer')),
        );
  let sigField: Uint8Array;
  if (key.type === SK_SSH_ED25519) {
    const flags = opts.flags ?? 0x01;
    const counter = opts.counter ?? 7;
    const sig = signEd25519(skSignedData(key.application, flags, counter, data), secretKey);
    sigField = concatBytes(
      sshString(key.type),
      sshString(sig),
      Uint8Array.of(flags),
      sshUint32(counter),
    );
  } else {
    sigField = concatBytes(sshString(key.type), sshString(signEd25519(data, secretKey)));
  }
  return concatBytes(
    new TextEncoder().encode('SSHSIG'),
    sshUint32(1),
    sshString(sshKeyBlob(key)),
    sshString(namespace),
    sshString(new Uint8Array(0)),
    sshString(hash),
    sshString(sigField),
  );
}

/** The armored SSHSIG, as `ssh-keygen -Y sign` would print it. */
export function sshsigArmor(
  message: Uint8Array | string,
  secretKey: Uint8Array,
  key: SshEd25519Key,
  opts: SignOptions = {},
): string {
  return armorSshSignature(sshsigBlob(message, secretKey, key, opts));
}

/** True when the real ssh-keygen is on PATH. */
export function hasSshKeygen(): boolean {
  return spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined;
}

/** CI (`.ci/run` sets REQUIRE_SSH_KEYGEN=1) must run the ssh-keygen tests, never skip them. */
export const SSH_KEYGEN_REQUIRED =
  process.env['REQUIRE_SSH_KEYGEN'] === '1' || process.env['CI'] === 'true';

/** A fresh ed25519 key made by the real ssh-keygen in a new temp folder: its path and .pub line. */
export function sshKeygenKey(comment = 'test@example.com'): { file: string; line: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sshkey-'));
  const file = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return { file, line: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** `ssh-keygen -Y sign -n <namespace> -f <file>` with the message on stdin: the armor it prints. */
export function sshKeygenSign(file: string, message: string, namespace = 'codex-approval'): string {
  return execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', file], {
    input: message,
    stdio: ['pipe', 'pipe', 'ignore'],
  }).toString('utf8');
}
