import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provenanceCommand } from '../../src/cli/provenance.js';
import { fromHex, generateEd25519KeyPair, toHex } from '../../src/crypto/index.js';
import { fromBase64Strict, toBase64 } from '../../src/provenance/base64.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  signEnvelope,
  type DsseEnvelope,
} from '../../src/provenance/dsse.js';
import { parseManifest } from '../../tools/supply/manifest.js';
import { statementSubjects } from '../../src/provenance/in-toto-statement.js';
import { makeArtifact, runScript } from './helpers.js';

const COMMIT = 'a'.repeat(40);

/** Runs the verify command, collecting its output. */
async function verify(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await provenanceCommand(['verify', ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  return { code, out, err };
}

describe('npm run provenance + codex-gateway provenance verify', () => {
  let root = '';
  let keys = '';
  let envelopePath = '';
  let publicKey = '';

  beforeAll(async () => {
    root = await makeArtifact();
    keys = await mkdtemp(join(tmpdir(), 'codex-keys-'));
    expect((await runScript('manifest.ts', ['write', '--root', root])).code).toBe(0);
    const made = await runScript('provenance.ts', [
      '--root',
      root,
      '--key',
      join(keys, 'release.key'),
      '--source-commit',
      COMMIT,
    ]);
    expect(made.code, made.stderr).toBe(0);
    envelopePath = join(root, 'release/provenance.intoto.json');
    publicKey = (await readFile(join(root, 'release/release-key.pub'), 'utf8')).trim();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(keys, { recursive: true, force: true });
  });

  it('creates a missing local release key with mode 0600', async () => {
    expect((await stat(join(keys, 'release.key'))).mode & 0o777).toBe(0o600);
  });

  it('writes an in-toto v1 statement with SLSA v1 provenance over the manifest entries', async () => {
    const envelope = JSON.parse(await readFile(envelopePath, 'utf8')) as DsseEnvelope;
    expect(envelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    const payload = fromBase64Strict(envelope.payload) ?? new Uint8Array();
    const statement = JSON.parse(new TextDecoder().decode(payload));
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    const manifest = parseManifest(await readFile(join(root, 'release/MANIFEST.sha256'), 'utf8'));
    expect(statementSubjects(payload)).toEqual(manifest);
    const { buildDefinition, runDetails } = statement.predicate;
    expect(buildDefinition.externalParameters.buildCommand).toBe(
      'npm ci --ignore-scripts && npm run build',
    );
    expect(buildDefinition.externalParameters.source.digest.gitCommit).toBe(COMMIT);
    expect(runDetails.builder.id).toBe('urn:codex-gateway:builder:local');
  });

  it('verifies the signature and every subject digest of the untouched artifact', async () => {
    const r = await verify(['--envelope', envelopePath, '--public-key', publicKey, '--root', root]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/verified: signature and 6 subject digests/);
  });

  it('fails when one byte of a subject file changes', async () => {
    const file = join(root, 'dist/cli/main.js');
    const original = await readFile(file);
    const changed = Buffer.from(original);
    changed[0] = (changed[0] ?? 0) ^ 0x20;
    await writeFile(file, changed);
    try {
      const r = await verify([
        '--envelope',
        envelopePath,
        '--public-key',
        publicKey,
        '--root',
        root,
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/FAIL digest\s+dist\/cli\/main\.js/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('fails when a file no subject names was added to dist/', async () => {
    const extra = join(root, 'dist/extra.js');
    await writeFile(extra, 'steal()\n');
    try {
      const r = await verify([
        '--envelope',
        envelopePath,
        '--public-key',
        publicKey,
        '--root',
        root,
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/FAIL unlisted\s+dist\/extra\.js/);
    } finally {
      await rm(extra);
    }
  });

  it('fails with another public key', async () => {
    const other = toHex(generateEd25519KeyPair().publicKey);
    const r = await verify(['--envelope', envelopePath, '--public-key', other, '--root', root]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAIL signature/);
  });

  it('fails when the payload was edited after signing', async () => {
    const envelope = JSON.parse(await readFile(envelopePath, 'utf8')) as DsseEnvelope;
    const statement = new TextDecoder().decode(fromBase64Strict(envelope.payload));
    const edited = {
      ...envelope,
      payload: toBase64(
        new TextEncoder().encode(
          statement.replace(
            /"sha256":"([0-9a-f])/,
            (_m, c: string) => `"sha256":"${c === '0' ? '1' : '0'}`,
          ),
        ),
      ),
    };
    const path = join(keys, 'edited.json');
    await writeFile(path, JSON.stringify(edited));
    const r = await verify(['--envelope', path, '--public-key', publicKey, '--root', root]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAIL signature/);
  });

  it('refuses a correctly signed statement whose subject leaves the root', async () => {
    const { secretKey, publicKey: pk } = generateEd25519KeyPair();
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: [{ name: '../../etc/passwd', digest: { sha256: '0'.repeat(64) } }],
      predicate: {},
    };
    const path = join(keys, 'evil.json');
    await writeFile(
      path,
      JSON.stringify(
        signEnvelope(
          IN_TOTO_PAYLOAD_TYPE,
          new TextEncoder().encode(JSON.stringify(statement)),
          secretKey,
        ),
      ),
    );
    const r = await verify(['--envelope', path, '--public-key', toHex(pk), '--root', root]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAIL statement: subject 0: name must be a safe relative path/);
  });

  it('answers usage errors with exit code 2', async () => {
    expect(await provenanceCommand([], { out: () => {}, err: () => {} })).toBe(2);
    expect((await verify(['--envelope', envelopePath])).code).toBe(2);
    expect((await verify(['--envelope', envelopePath, '--public-key', 'zz'])).code).toBe(2);
    // A small-order point is a valid encoding but must never be accepted as a release key.
    const smallOrder = '0100000000000000000000000000000000000000000000000000000000000000';
    expect((await verify(['--envelope', envelopePath, '--public-key', smallOrder])).code).toBe(2);
    expect(fromHex(smallOrder)).toHaveLength(32);
  });

  describe('the provenance script refuses to sign', () => {
    it('when the manifest no longer matches the files', async () => {
      const file = join(root, 'policy/policy.json');
      const original = await readFile(file);
      await writeFile(file, '{"version":2}\n');
      try {
        const r = await runScript('provenance.ts', [
          '--root',
          root,
          '--key',
          join(keys, 'release.key'),
          '--source-commit',
          COMMIT,
        ]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/manifest is stale/);
      } finally {
        await writeFile(file, original);
      }
    });

    it('when the key file is readable by others', async () => {
      const loose = join(keys, 'loose.key');
      await writeFile(loose, `${'1'.repeat(64)}\n`);
      await chmod(loose, 0o644);
      const r = await runScript('provenance.ts', [
        '--root',
        root,
        '--key',
        loose,
        '--source-commit',
        COMMIT,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/must not be readable by group or others/);
    });

    it('when --require-existing-key is given and the key is missing (release mode)', async () => {
      const r = await runScript('provenance.ts', [
        '--root',
        root,
        '--key',
        join(keys, 'absent.key'),
        '--require-existing-key',
        '--source-commit',
        COMMIT,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ENOENT/);
    });
  });
});
