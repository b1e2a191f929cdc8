import { NoteError, parseVkey, verifyCheckpoint, type Checkpoint } from '../audit/checkpoint.js';
import { canonicalize, JCS_MAX_DEPTH } from '../audit/jcs.js';
import {
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../audit/merkle.js';
import { constantTimeEqual, toHex } from '../crypto/index.js';
import { parseBoundedJson } from '../client/bounded-json.js';
import { escapeControls } from '../client/untrusted-text.js';
import { AuditFailure, getJson, getText, hashField, intField, proofField } from './audit-http.js';
import { openAuditorState, type AuditorStateFile } from './audit-state.js';
import { readReceiptFile, verifyReceiptLive, verifyReceiptOffline } from './audit-receipt.js';
import { runCommand, usageError, type CliCommand, type CommandArgs } from './command.js';
import type { CliIo } from './io.js';
import { failureReason, shown } from './render.js';

/** Entries fetched per request by `--entries` (the gateway's per-request bound). */
const BATCH = 256;

const COMMON_OPTIONS = {
  url: { type: 'string', value: 'URL', description: 'gateway base URL (required)' },
  'api-key': {
    type: 'string',
    value: 'KEY',
    description: 'API key with audit:read [$CODEX_API_KEY]',
  },
  vkey: {
    type: 'string',
    value: 'VKEY',
    description:
      'the log\'s verifier key (GET /v1/audit/key "vkey", from a source you trust; required)',
  },
} as const;

const NOTES = 'exit 0 verified, 1 a check failed (one FAILED: line says which), 2 usage';

/** `codex-gateway audit verify`: checks the signed checkpoint and its growth since the last run. */
export const auditVerify: CliCommand = {
  name: 'audit verify',
  summary:
    "Verify the log's signed checkpoint, its consistency with the last run, optionally every entry.",
  options: {
    ...COMMON_OPTIONS,
    state: {
      type: 'string',
      value: 'FILE',
      description: 'remember the verified checkpoint here; the next run must extend it',
    },
    entries: {
      type: 'boolean',
      description: 'download every entry and re-hash it into the signed root',
    },
    receipt: {
      type: 'string',
      value: 'FILE',
      description:
        'check a saved receipt (an answer\'s "audit" object): signature and inclusion offline; with --url also included now and consistent with the current checkpoint',
    },
  },
  notes: `${NOTES}\nwith --receipt, --url is optional (without it only the offline checks run)`,
  run: (args, io) => audit('verify', auditVerify, args, io),
};

/** `codex-gateway audit prove`: checks that one entry is in the signed tree. */
export const auditProve: CliCommand = {
  name: 'audit prove',
  summary: 'Fetch one entry and prove it is included in the signed checkpoint.',
  options: {
    ...COMMON_OPTIONS,
    index: { type: 'string', value: 'I', description: 'index of the entry to prove (required)' },
  },
  notes: NOTES,
  run: (args, io) => audit('prove', auditProve, args, io),
};

/** Runs `audit verify|prove` with argv-style arguments (`['verify', ...options]`). */
export async function auditCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'verify') return runCommand(auditVerify, rest, io);
  if (sub === 'prove') return runCommand(auditProve, rest, io);
  return usageError(io, { name: 'audit' }, 'subcommand must be verify or prove');
}

/**
 * `codex-gateway audit verify|prove`: an independent auditor of a gateway's log. It trusts
 * only the vkey it is given: every checkpoint must be signed by it, must extend the one
 * saved by the previous run (consistency proof), and with `--entries` every entry is
 * downloaded and re-hashed into the signed root. Exit 0 = verified, 1 = a check failed
 * (one line on stderr says which), 2 = usage.
 */
async function audit(
  sub: 'verify' | 'prove',
  cmd: CliCommand,
  args: CommandArgs,
  io: CliIo,
): Promise<number> {
  const url = args.string('url');
  const apiKey = args.string('api-key') ?? process.env.CODEX_API_KEY;
  const vkeyText = args.string('vkey');
  const index = args.string('index');
  const receiptFile = sub === 'verify' ? args.string('receipt') : undefined;
  if (vkeyText === undefined) return usageError(io, cmd, 'missing --vkey VKEY');
  if (receiptFile !== undefined) {
    if (args.string('state') !== undefined || args.flag('entries'))
      return usageError(io, cmd, '--receipt does not combine with --state or --entries');
    if (url !== undefined && apiKey === undefined)
      return usageError(io, cmd, 'no API key: set CODEX_API_KEY or pass --api-key');
    return receiptRun(io, receiptFile, vkeyText, url, apiKey);
  }
  if (url === undefined) return usageError(io, cmd, 'missing --url URL');
  if (apiKey === undefined)
    return usageError(io, cmd, 'no API key: set CODEX_API_KEY or pass --api-key');
  if (sub === 'prove' && index === undefined) return usageError(io, cmd, 'missing --index I');
  const stateFile = args.string('state');
  let state: AuditorStateFile | undefined;
  try {
    const vkey = parseVkey(vkeyText);
    // The state is locked before the checkpoint is fetched: two runs never interleave.
    if (sub === 'verify' && stateFile !== undefined) state = await openAuditorState(stateFile);
    const note = await getText(url, '/v1/audit/checkpoint', apiKey);
    const cp = verifyCheckpoint(note, vkey);
    const message =
      sub === 'verify'
        ? await verify(url, apiKey, cp, note, state, args.flag('entries'))
        : await prove(url, apiKey, cp, parseIndexArg(index!));
    io.out(`audit ${sub}: OK: ${message}\n`);
    return 0;
  } catch (err) {
    // Whatever the server sent, the documented one-line format holds: an unexpected error
    // (a bug, an exhausted resource) is a failed verification too, never a stack trace.
    const reason =
      err instanceof AuditFailure || err instanceof NoteError
        ? escapeControls(err.message) // its parts are escaped where they were quoted
        : `unexpected error: ${failureReason(err)}`;
    io.err(`audit ${sub}: FAILED: ${reason}\n`);
    return 1;
  } finally {
    await state?.release();
  }
}

/**
 * `audit verify --receipt FILE`: the receipt verifies offline (log key, inclusion in its
 * checkpoint) and, with a URL, against the live log: the current signed tree extends the
 * receipt's checkpoint and still includes the entry. Same exit codes and FAILED line.
 */
async function receiptRun(
  io: CliIo,
  file: string,
  vkeyText: string,
  url: string | undefined,
  apiKey: string | undefined,
): Promise<number> {
  try {
    const vkey = parseVkey(vkeyText);
    const receipt = await readReceiptFile(file);
    const signed = verifyReceiptOffline(receipt, vkey);
    const parts = [
      `receipt for entry ${receipt.index}: checkpoint of size ${signed.size} signed by ${shown(signed.origin)}, inclusion proof valid`,
    ];
    if (url !== undefined && apiKey !== undefined) {
      const now = verifyCheckpoint(await getText(url, '/v1/audit/checkpoint', apiKey), vkey);
      await verifyReceiptLive(url, apiKey, receipt, signed, now, (size, root, cp) =>
        checkConsistency(url, apiKey, size, root, cp),
      );
      parts.push(
        `live log of size ${now.size} is consistent with it and still includes entry ${receipt.index}`,
      );
    }
    io.out(`audit verify: OK: ${parts.join('; ')}\n`);
    return 0;
  } catch (err) {
    const reason =
      err instanceof AuditFailure || err instanceof NoteError
        ? escapeControls(err.message)
        : `unexpected error: ${failureReason(err)}`;
    io.err(`audit verify: FAILED: ${reason}\n`);
    return 1;
  }
}

async function verify(
  url: string,
  apiKey: string,
  cp: Checkpoint,
  note: string,
  stateFile: AuditorStateFile | undefined,
  entries: boolean,
): Promise<string> {
  const parts = [`${shown(cp.origin)} size ${cp.size} root ${toHex(cp.root)} (signature valid)`];
  const saved = stateFile?.state;
  if (saved !== undefined) {
    if (saved.origin !== cp.origin)
      throw new AuditFailure(
        `state file is for log ${shown(saved.origin)}, not ${shown(cp.origin)}`,
      );
    const savedRoot = new Uint8Array(Buffer.from(saved.root, 'hex'));
    await checkConsistency(url, apiKey, saved.size, savedRoot, cp);
    parts.push(`consistent with the saved checkpoint of size ${saved.size}`);
  }
  if (entries) {
    await checkAllEntries(url, apiKey, cp);
    parts.push(`all ${cp.size} entries re-hashed to the signed root`);
  }
  if (stateFile !== undefined)
    await stateFile.write({
      origin: cp.origin,
      size: cp.size,
      root: toHex(cp.root),
      checkpoint: note,
    });
  return parts.join('; ');
}

async function checkConsistency(
  url: string,
  apiKey: string,
  oldSize: number,
  oldRoot: Uint8Array,
  cp: Checkpoint,
): Promise<void> {
  if (cp.size < oldSize)
    throw new AuditFailure(`log shrank from ${oldSize} to ${cp.size} entries (rollback)`);
  if (cp.size === oldSize) {
    if (!constantTimeEqual(oldRoot, cp.root))
      throw new AuditFailure(`log of size ${oldSize} now has a different root (fork)`);
    return;
  }
  if (oldSize === 0) return; // every tree extends the empty tree
  const where = 'consistency proof';
  const r = await getJson(
    url,
    `/v1/audit/proofs/consistency?from=${oldSize}&to=${cp.size}`,
    apiKey,
  );
  if (intField(r, 'from', where) !== oldSize || intField(r, 'to', where) !== cp.size)
    throw new AuditFailure(`${where}: answers for the wrong sizes`);
  if (!verifyConsistency(oldSize, cp.size, proofField(r, where), oldRoot, cp.root))
    throw new AuditFailure(
      `signed checkpoint of size ${cp.size} is NOT consistent with the saved one of size ${oldSize}`,
    );
}

async function checkAllEntries(url: string, apiKey: string, cp: Checkpoint): Promise<void> {
  const root = new RootBuilder();
  for (let start = 0; start < cp.size; start += BATCH) {
    const count = Math.min(BATCH, cp.size - start);
    const r = await getJson(url, `/v1/audit/entries?start=${start}&count=${count}`, apiKey);
    const list = r['entries'];
    if (!Array.isArray(list) || list.length !== count)
      throw new AuditFailure(`entries ${start}..${start + count - 1}: wrong number of entries`);
    list.forEach((e: unknown, i) => root.add(checkEntry(e, start + i)));
  }
  if (!constantTimeEqual(root.root(), cp.root))
    throw new AuditFailure(`entries hash to root ${toHex(root.root())}, not the signed root`);
}

/** Checks one entry view: index, leaf hash of the exact leaf, and leaf = JCS(entry). */
function checkEntry(e: unknown, index: number): Uint8Array {
  const where = `entry ${index}`;
  if (typeof e !== 'object' || e === null) throw new AuditFailure(`${where}: malformed`);
  const o = e as Record<string, unknown>;
  if (intField(o, 'index', where) !== index) throw new AuditFailure(`${where}: wrong index`);
  const leaf = o['leaf'];
  if (typeof leaf !== 'string') throw new AuditFailure(`${where}: leaf is not a string`);
  const hash = leafHash(new TextEncoder().encode(leaf));
  if (!constantTimeEqual(hash, hashField(o, 'leafHash', where)))
    throw new AuditFailure(`${where}: leafHash does not match its leaf`);
  let canonical: string;
  try {
    canonical = canonicalize(parseBoundedJson(leaf, { maxDepth: JCS_MAX_DEPTH }));
  } catch {
    throw new AuditFailure(`${where}: leaf is not canonical JSON`);
  }
  if (canonical !== leaf) throw new AuditFailure(`${where}: leaf is not RFC 8785 canonical`);
  let entry: string;
  try {
    // Throws on what JCS cannot represent, nesting beyond JCS_MAX_DEPTH included.
    entry = canonicalize(o['entry'] ?? null);
  } catch {
    throw new AuditFailure(`${where}: entry is not representable as canonical JSON`);
  }
  if (entry !== leaf) throw new AuditFailure(`${where}: entry does not match its leaf`);
  return hash;
}

async function prove(url: string, apiKey: string, cp: Checkpoint, index: number): Promise<string> {
  if (index >= cp.size)
    throw new AuditFailure(`index ${index} is not in the signed tree of size ${cp.size}`);
  const where = 'inclusion proof';
  const [p, e] = await Promise.all([
    getJson(url, `/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`, apiKey),
    getJson(url, `/v1/audit/entries/${index}`, apiKey),
  ]);
  if (intField(p, 'index', where) !== index || intField(p, 'size', where) !== cp.size)
    throw new AuditFailure(`${where}: answers for the wrong index or size`);
  const hash = checkEntry(e, index);
  if (!verifyInclusion(hash, index, cp.size, proofField(p, where, 64), cp.root))
    throw new AuditFailure(`entry ${index} is NOT included in the signed tree of size ${cp.size}`);
  return `entry ${index} ${shown(e['leaf'] as string)} is in ${shown(cp.origin)} at size ${cp.size}`;
}

function parseIndexArg(text: string): number {
  if (!/^[0-9]{1,15}$/.test(text)) throw new AuditFailure(`--index must be a decimal integer`);
  return Number(text);
}

/**
 * RFC 6962 root of a stream of leaf hashes in O(log n) memory: a stack of perfect
 * subtrees, merged as soon as two of equal height meet, folded right to left at the end.
 */
class RootBuilder {
  private readonly stack: { hash: Uint8Array; height: number }[] = [];

  add(hash: Uint8Array): void {
    let node = { hash, height: 0 };
    for (let top = this.stack.at(-1); top?.height === node.height; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { hash: nodeHash(top.hash, node.hash), height: node.height + 1 };
    }
    this.stack.push(node);
  }

  root(): Uint8Array {
    // MTH of the empty tree is SHA-256 of the empty string (RFC 6962 §2.1).
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack.at(-1)!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!.hash, r);
    return r;
  }
}
