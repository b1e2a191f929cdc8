import { readFile, stat } from 'node:fs/promises';
import { ed25519PublicKeyProblem, fromHex, isHex } from '../crypto/index.js';
import { hashFile, listArtifactFiles } from '../provenance/artifact-files.js';
import { IN_TOTO_PAYLOAD_TYPE, keyIdOf, verifyEnvelope } from '../provenance/dsse.js';
import { statementSubjects } from '../provenance/in-toto-statement.js';
import { runCommand, usageError, type CliCommand } from './command.js';

/** Where the command writes: raw text for stdout and stderr (each line ends in `\n`). */
export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
}

/** Largest envelope file read (the real one is tens of kilobytes). */
const MAX_ENVELOPE_BYTES = 8 * 1024 * 1024;

/**
 * `codex-gateway provenance verify`: checks the DSSE envelope's Ed25519 signature against
 * the given release public key (obtained out of band, never from the envelope), then
 * recomputes the SHA-256 of every subject under `--root` (default: current directory)
 * and fails on any artifact file (dist/, policy/, package files) that no subject names.
 * Exit codes: 0 verified, 1 verification failed, 2 usage error.
 */
export const command: CliCommand = {
  name: 'provenance verify',
  summary: "Verify a release's signed provenance and the digest of every shipped file.",
  options: {
    envelope: { type: 'string', value: 'FILE', description: 'DSSE provenance envelope (required)' },
    'public-key': {
      type: 'string',
      value: 'HEX',
      description: 'release public key, 64 hex, obtained out of band (required)',
    },
    root: { type: 'string', value: 'DIR', description: 'directory holding the release files [.]' },
  },
  notes: 'exit 0 verified, 1 verification failed, 2 usage',
  run: async (args, io) => {
    const envelope = args.string('envelope');
    const publicKey = args.string('public-key');
    if (envelope === undefined) return usageError(io, command, 'missing --envelope FILE');
    if (publicKey === undefined || !isHex(publicKey, 32))
      return usageError(io, command, '--public-key must be 64 lowercase hex characters');
    return verifyProvenance({ envelope, publicKey, root: args.string('root') ?? '.' }, io);
  },
};

/** Runs `provenance verify` with argv-style arguments (`['verify', ...options]`). */
export async function provenanceCommand(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') return usageError(io, { name: 'provenance' }, 'subcommand must be verify');
  return runCommand(command, rest, io);
}

async function verifyProvenance(
  opts: { envelope: string; publicKey: string; root: string },
  io: CommandIo,
): Promise<number> {
  const publicKey = fromHex(opts.publicKey);
  const keyProblem = ed25519PublicKeyProblem(publicKey);
  if (keyProblem !== undefined) {
    io.err(`--public-key: ${keyProblem}\n`);
    return 2;
  }
  let envelope: unknown;
  try {
    const size = (await stat(opts.envelope)).size;
    if (size > MAX_ENVELOPE_BYTES) throw new Error('envelope file is too large');
    envelope = JSON.parse(await readFile(opts.envelope, 'utf8'));
  } catch (err) {
    io.err(`FAIL cannot read envelope: ${(err as Error).message}\n`);
    return 1;
  }
  const check = verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, publicKey);
  if (!check.ok) {
    io.err(`FAIL signature: ${check.problem}\n`);
    return 1;
  }
  io.out(`ok   signature (Ed25519, keyid ${keyIdOf(publicKey)})\n`);
  let subjects;
  try {
    subjects = statementSubjects(check.payload);
  } catch (err) {
    io.err(`FAIL statement: ${(err as Error).message}\n`);
    return 1;
  }
  let failures = 0;
  for (const subject of subjects) {
    let actual: string;
    try {
      actual = await hashFile(opts.root, subject.path);
    } catch {
      io.err(`FAIL missing   ${subject.path}\n`);
      failures++;
      continue;
    }
    // Only failures are listed one by one; a success is the summary line below.
    if (actual !== subject.sha256) {
      io.err(`FAIL digest    ${subject.path}\n`);
      failures++;
    }
  }
  // A file in dist/ that no subject vouches for is code that would ship unsigned.
  const named = new Set(subjects.map((s) => s.path));
  let onDisk: string[] = [];
  try {
    onDisk = await listArtifactFiles(opts.root);
  } catch (err) {
    io.err(`FAIL artifact  ${(err as Error).message}\n`);
    failures++;
  }
  for (const path of onDisk.filter((p) => !named.has(p))) {
    io.err(`FAIL unlisted  ${path}\n`);
    failures++;
  }
  if (failures > 0) {
    io.err(`FAIL ${failures} problem(s) with ${subjects.length} subjects\n`);
    return 1;
  }
  io.out(`verified: signature and ${subjects.length} subject digests\n`);
  return 0;
}
