import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { z } from 'zod';
import {
  ed25519PublicKey,
  fromHex,
  generateEd25519KeyPair,
  isHex,
  toHex,
} from '../crypto/index.js';
import { APPROVER_NAME_PATTERN } from '../policy/schema.js';
import { runCommand, usageError, type CliCommand } from './command.js';
import type { CliIo } from './io.js';

/** Approver names as the policy accepts them (docs/protocol.md §4 schema). */
const APPROVER_NAME = APPROVER_NAME_PATTERN;

/** The approver key file: JSON, so the name and public key travel with the secret. */
const keyFileSchema = z.strictObject({
  type: z.literal('codex-gateway/approver-key/v1'),
  approver: z.string().regex(APPROVER_NAME).optional(),
  secretKey: z.string().refine((s) => isHex(s, 32), 'must be 64 lowercase hex'),
  publicKey: z.string().refine((s) => isHex(s, 32), 'must be 64 lowercase hex'),
});

/** A loaded approver key. */
export interface ApproverKey {
  readonly approver: string | undefined;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * `codex-gateway keygen --out FILE [--name NAME]`: creates the file exclusively with mode
 * 0600 (refusing to replace an existing key), fsyncs it, and prints the public key hex on
 * stdout (one line, easy to paste or script); hints go to stderr.
 */
export const command: CliCommand = {
  name: 'keygen',
  summary: 'Create an Ed25519 approver key file (0600) and print its public key for the policy.',
  options: {
    out: {
      type: 'string',
      value: 'FILE',
      description: 'key file to create (required; never overwritten)',
    },
    name: {
      type: 'string',
      value: 'APPROVER',
      description: 'approver name stored in the file (as in the policy)',
    },
  },
  run: async (args, io) => {
    const out = args.string('out');
    if (out === undefined) return usageError(io, command, 'missing --out FILE');
    return keygen(out, args.string('name'), io);
  },
};

/** Runs `keygen` with argv-style arguments (tests and scripts). */
export async function keygenCommand(args: readonly string[], io: CliIo): Promise<number> {
  return runCommand(command, args, io);
}

async function keygen(out: string, name: string | undefined, io: CliIo): Promise<number> {
  if (name !== undefined && !APPROVER_NAME.test(name))
    return usageError(io, command, `--name must match ${APPROVER_NAME.source}`);
  const { secretKey, publicKey } = generateEd25519KeyPair();
  const content = `${JSON.stringify(
    {
      type: 'codex-gateway/approver-key/v1',
      ...(name === undefined ? {} : { approver: name }),
      secretKey: toHex(secretKey),
      publicKey: toHex(publicKey),
    },
    null,
    2,
  )}\n`;
  let fd: number;
  try {
    // 'wx': fail if the file exists, so an existing key is never silently replaced.
    fd = openSync(out, 'wx', 0o600);
  } catch (err) {
    io.err(
      `codex-gateway keygen: cannot create ${out}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`,
    );
    return 1;
  }
  try {
    fchmodSync(fd, 0o600); // the umask cannot widen it, but be explicit
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  io.out(`${toHex(publicKey)}\n`);
  const label = name ?? '<name>';
  io.err(
    `private key written to ${out} (mode 0600); keep it secret.\n` +
      `add to the policy: "approvers": { "${label}": "${toHex(publicKey)}" }\n`,
  );
  return 0;
}

/**
 * Reads an approver key file. Refuses a file readable by group or others (like the
 * clients file), a malformed file, and one whose public key does not match its secret.
 * @throws Error naming the problem, never echoing key material.
 */
export function readApproverKeyFile(file: string): ApproverKey {
  let text: string;
  let mode: number;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(
      `cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    mode = fstatSync(fd).mode & 0o777;
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if ((mode & 0o077) !== 0)
    throw new Error(
      `key file ${file} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`,
    );
  let parsed: z.infer<typeof keyFileSchema>;
  try {
    parsed = keyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`key file ${file} is not a codex-gateway approver key`);
  }
  const secretKey = fromHex(parsed.secretKey);
  const publicKey = ed25519PublicKey(secretKey);
  if (toHex(publicKey) !== parsed.publicKey)
    throw new Error(`key file ${file}: public key does not match the secret key`);
  return { approver: parsed.approver, secretKey, publicKey };
}
