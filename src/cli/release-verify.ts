import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import {
  describeReleaseFailure,
  loadTrustedPolicy,
  loadVkey,
  MAX_ATTESTATION_BYTES,
  verifyReleaseAttestation,
  type TrustedPolicy,
} from '../verify/index.js';
import type { NoteVerifier } from '../audit/checkpoint.js';
import { MAX_POLICY_FILE_BYTES } from '../policy/compile.js';
import { runCommand, usageError, type CliCommand, type CommandArgs } from './command.js';
import type { CliIo } from './io.js';
import { DIGEST_LABEL } from '../protocol/grammar.js';

class UsageError extends Error {}

/** `codex-gateway release verify` as a registered command (see ./main.ts). */
export const command: CliCommand = {
  name: 'release verify',
  summary:
    'Verify a release attestation offline: signature, artifact, quorum, audit log inclusion.',
  options: {
    attestation: {
      type: 'string',
      value: 'FILE',
      description:
        'the DSSE attestation (GET /v1/deploys/<id>/attestation), or - for stdin (required)',
    },
    artifact: {
      type: 'string',
      value: 'sha256:HEX',
      description: 'the artifact digest you are about to deploy (required)',
    },
    vkey: {
      type: 'string',
      value: 'VKEY|FILE',
      description: "the audit log's verifier key, or a file holding it (required)",
    },
    policy: {
      type: 'string',
      value: 'FILE',
      description: 'your own trusted copy of the policy: quorum and approver keys (required)',
    },
    environment: {
      type: 'string',
      value: 'ENV',
      description: 'also require this deploy environment',
    },
    target: { type: 'string', value: 'TARGET', description: 'also require this target' },
  },
  notes:
    'exit 0 verified, 1 refused (one line names the first failed check), 2 usage or unreadable trusted input',
  run: (args, io) => releaseVerify(args, io),
};

/** Runs `release verify` with argv-style arguments (tests and scripts). */
export async function releaseVerifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(command, args, io);
}

/**
 * `codex-gateway release verify`: the five checks of docs/protocol.md §10, offline. Prints one
 * line: `verified: …` on stdout (exit 0), or the first failed check on stderr (exit 1).
 * Usage mistakes and unreadable trusted inputs (vkey, policy) exit 2. Nothing in the
 * attestation can make it print a stack trace: every refusal is a plain line.
 */
async function releaseVerify(args: CommandArgs, io: CliIo): Promise<number> {
  let inputs: {
    attestation: Uint8Array;
    artifact: string;
    vkey: NoteVerifier;
    policy: TrustedPolicy;
    environment: string | undefined;
    target: string | undefined;
  };
  try {
    inputs = await readInputs(args);
  } catch (err) {
    if (err instanceof UsageError) return usageError(io, command, err.message);
    io.err(`codex-gateway release verify: ${(err as Error).message}\n`);
    return 2;
  }
  if (inputs.attestation.length > MAX_ATTESTATION_BYTES) {
    io.err(
      `codex-gateway release verify: REFUSED: check 1 (envelope) failed: attestation is larger than ${MAX_ATTESTATION_BYTES} bytes\n`,
    );
    return 1;
  }
  const result = verifyReleaseAttestation(inputs);
  if (!result.ok) {
    io.err(`codex-gateway release verify: REFUSED: ${describeReleaseFailure(result)}\n`);
    return 1;
  }
  const d = result.deploy;
  io.out(
    `verified: deploy ${d.id} ${d.action} ${d.target} environment ${d.environment} artifact ${d.artifact}; ` +
      `approved by ${result.approvers.join(', ')} (${result.approvers.length} of ${result.threshold} required); ` +
      `log ${result.log.origin} index ${result.log.index} in checkpoint of size ${result.log.size}\n`,
  );
  return 0;
}

async function readInputs(args: CommandArgs) {
  const one = (name: string): string | undefined => args.string(name);
  const attestationPath = one('attestation');
  const artifact = one('artifact');
  const vkeyArg = one('vkey');
  const policyPath = one('policy');
  if (
    attestationPath === undefined ||
    artifact === undefined ||
    vkeyArg === undefined ||
    policyPath === undefined
  )
    throw new UsageError('--attestation, --artifact, --vkey and --policy are required');
  if (!DIGEST_LABEL.test(artifact))
    throw new UsageError('--artifact must be sha256:<64 lowercase hex>');
  const vkey = readVkey(vkeyArg);
  let policy: TrustedPolicy;
  try {
    policy = loadTrustedPolicy(readBounded(policyPath, MAX_POLICY_FILE_BYTES));
  } catch (err) {
    throw new Error(`--policy ${policyPath}: ${(err as Error).message}`);
  }
  const attestation =
    attestationPath === '-'
      ? await readStdin(MAX_ATTESTATION_BYTES + 1)
      : readBounded(attestationPath, MAX_ATTESTATION_BYTES + 1, '--attestation');
  return {
    attestation,
    artifact,
    vkey,
    policy,
    environment: one('environment'),
    target: one('target'),
  };
}

/** The vkey itself, or a file holding it (one line). */
function readVkey(arg: string): NoteVerifier {
  try {
    return loadVkey(arg);
  } catch (err) {
    if (!existsSync(arg))
      throw new Error(`--vkey: ${(err as Error).message.replace(/^vkey: /, '')}`);
  }
  try {
    return loadVkey(new TextDecoder().decode(readBounded(arg, 1024, '--vkey')));
  } catch (err) {
    throw new Error(`--vkey ${arg}: ${(err as Error).message.replace(/^vkey: /, '')}`);
  }
}

/**
 * Reads at most `limit` bytes of `path` (one more than the largest accepted size, so an
 * oversized file is seen as such without reading all of it).
 */
function readBounded(path: string, limit: number, what = '--policy'): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(
      `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const n = readSync(fd, buffer, length, limit - length, null);
      if (n === 0) break;
      length += n;
    }
    return new Uint8Array(buffer.subarray(0, length));
  } catch (err) {
    throw new Error(
      `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    closeSync(fd);
  }
}

async function readStdin(limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= limit) break;
  }
  return new Uint8Array(Buffer.concat(chunks).subarray(0, limit));
}
