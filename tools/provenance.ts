/**
 * `npm run provenance`: signs an in-toto Statement v1 (SLSA Provenance v1) whose subjects
 * are the integrity manifest's entries, as a DSSE envelope with the Ed25519 release key.
 *
 *   tsx tools/provenance.ts --key <file> [--root <dir>] [--manifest <file>] [--out <file>]
 *        [--require-existing-key] [--require-clean] [--source-commit <40 hex>]
 *
 * The key path may also come from CODEX_RELEASE_KEY_FILE. Locally a missing key file is
 * created (0600); the release workflow passes --require-existing-key so a missing secret
 * fails the release instead of signing with a throwaway key.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { randomId, sha256Hex, toHex } from '../src/crypto/index.js';
import { hashArtifact } from './supply/artifact-digests.js';
import { IN_TOTO_PAYLOAD_TYPE, keyIdOf, signEnvelope } from '../src/provenance/dsse.js';
import { compareManifest, parseManifest } from './supply/manifest.js';
import { buildProvenanceStatement } from './supply/provenance-statement.js';
import { loadReleaseKey } from './supply/release-key-file.js';
import { parseScriptArgs } from './script-args.js';

const BUILD_COMMAND = 'npm ci --ignore-scripts && npm run build';

async function main(argv: string[]): Promise<number> {
  const startedOn = process.env.BUILD_STARTED_ON ?? new Date().toISOString();
  const { values, flags } = parseScriptArgs(argv, {
    values: ['--root', '--manifest', '--out', '--key', '--source-commit'],
    flags: ['--require-existing-key', '--require-clean'],
  });
  const root = resolve(values.get('--root') ?? '.');
  const manifestPath = resolve(root, values.get('--manifest') ?? 'release/MANIFEST.sha256');
  const outPath = resolve(root, values.get('--out') ?? 'release/provenance.intoto.json');
  const keyPath = values.get('--key') ?? process.env.CODEX_RELEASE_KEY_FILE;
  if (keyPath === undefined || keyPath === '')
    throw new Error('no release key: pass --key <file> or set CODEX_RELEASE_KEY_FILE');

  // Never sign digests that no longer describe the files: re-verify the manifest first.
  const subjects = parseManifest(await readFile(manifestPath, 'utf8'));
  const mismatches = compareManifest(subjects, await hashArtifact(root));
  if (mismatches.length > 0)
    throw new Error(`manifest is stale (${mismatches.length} mismatches); run npm run manifest`);

  const commit = values.get('--source-commit') ?? git(root, ['rev-parse', 'HEAD']);
  const dirty = values.has('--source-commit')
    ? false
    : git(root, ['status', '--porcelain', '--untracked-files=no']) !== '';
  if (dirty && flags.has('--require-clean'))
    throw new Error('working tree has uncommitted changes and --require-clean was given');
  if (dirty) console.warn('provenance: WARNING working tree is dirty; recorded as sourceTreeDirty');

  const key = await loadReleaseKey(keyPath, {
    createIfMissing: !flags.has('--require-existing-key'),
  });
  if (key.created) console.warn(`provenance: created a new release key at ${keyPath} (0600)`);
  const lock = subjects.find((s) => s.path === 'package-lock.json');
  if (lock === undefined) throw new Error('manifest does not list package-lock.json');

  const statement = buildProvenanceStatement({
    subjects,
    ...runIdentity(root),
    buildCommand: BUILD_COMMAND,
    sourceCommit: commit,
    sourceTreeDirty: dirty,
    lockFileSha256: lock.sha256,
    nodeVersion: process.version,
    startedOn,
    finishedOn: new Date().toISOString(),
  });
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.secretKey);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, `${JSON.stringify(envelope, null, 2)}\n`);
  await writeFile(resolve(dirname(outPath), 'release-key.pub'), `${toHex(key.publicKey)}\n`);
  console.log(`provenance: wrote ${outPath} (${subjects.length} subjects, commit ${commit})`);
  console.log(`provenance: public key ${toHex(key.publicKey)} keyid ${keyIdOf(key.publicKey)}`);
  console.log(`provenance: payload sha256 ${sha256Hex(payload)}`);
  return 0;
}

/** Builder, source and invocation identity: from GitHub Actions when there, else local. */
function runIdentity(root: string): { builderId: string; sourceUri: string; invocationId: string } {
  const env = process.env;
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) {
    const repo = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}`;
    return {
      builderId: `${env.GITHUB_SERVER_URL}/${env.GITHUB_WORKFLOW_REF ?? env.GITHUB_REPOSITORY}`,
      sourceUri: `git+${repo}@${env.GITHUB_REF ?? 'unknown'}`,
      invocationId: `${repo}/actions/runs/${env.GITHUB_RUN_ID ?? '0'}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
    };
  }
  let origin = 'urn:codex-gateway:source:local';
  try {
    origin = `git+${git(root, ['remote', 'get-url', 'origin'])}`;
  } catch {
    // no remote configured: keep the local URN
  }
  return {
    builderId: 'urn:codex-gateway:builder:local',
    sourceUri: origin,
    invocationId: `urn:codex-gateway:invocation:${randomId()}`,
  };
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`provenance: FAILED: ${(err as Error).message}`);
    process.exit(1);
  },
);
