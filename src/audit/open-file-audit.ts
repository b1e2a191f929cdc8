import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { AuditService } from './audit-service.js';
import {
  checkpointHeadSigner,
  isValidKeyName,
  noteVerifier,
  type NoteVerifier,
} from './checkpoint.js';
import { CheckpointSigner } from './checkpoint-signer.js';
import { FileSignedTreeHeadStore, LogKeyChangedError } from './checkpoint-state-file.js';
import { loadOrCreateLogKey } from './log-key.js';
import type { FileLogStoreOptions } from './log-store.js';
import { openFileLogStore } from './storage/file-log-store.js';
import { DirLockedError } from './storage/dir-lock.js';
import { HEAD_FILE } from './storage/head-file.js';

/** What the composition root needs to know to open the audit log. */
export interface FileAuditConfig {
  /** GATEWAY_DATA_DIR: the log lives in `<dataDir>/audit`, the signed head beside it. */
  readonly dataDir: string;
  /** GATEWAY_LOG_ORIGIN, or undefined to derive it from the host name. */
  readonly logOrigin: string | undefined;
  /** GATEWAY_LOG_KEY_FILE, or undefined for `<dataDir>/audit-log.key`. */
  readonly logKeyFile: string | undefined;
}

/** The opened audit log (file or PostgreSQL driver) and how to close it. */
export interface OpenedAudit {
  readonly service: AuditService;
  readonly origin: string;
  /**
   * The log's note verifier and Ed25519 key, for the composition root to build the
   * release-attestation signer (docs/protocol.md §10: attestations are signed with the log key).
   */
  readonly logKey: { readonly verifier: NoteVerifier; readonly secretKey: Uint8Array };
  /** Whether the log can append now (for /readyz); absent: whenever the process runs. */
  readonly ready?: () => Promise<boolean>;
  close(): Promise<void>;
}

/** The file-backed audit log. */
export type FileAudit = OpenedAudit;

/**
 * The default origin: the host name without whitespace or `+` (which a note key name may
 * not contain), under a fixed path so it reads as a log name.
 */
export function defaultLogOrigin(host: string = hostname()): string {
  const clean = host
    .replace(/[\s+]/gu, '')
    .replace(/\p{Cc}/gu, '')
    .slice(0, 200);
  return `${clean === '' ? 'localhost' : clean}/codex-gateway`;
}

/**
 * Opens the file-backed audit log (verifying every stored entry and hash), loads or
 * creates the signing key, and checks the files against the signed head in head.bin
 * (they must still hold the tree it signed, so acknowledged entries cannot be cut
 * unnoticed). Any failure rejects with a one-line message, so start-up refuses a
 * corrupted, cut or rewritten log instead of serving it.
 */
export async function openFileAudit(
  config: FileAuditConfig,
  hooks: Pick<FileLogStoreOptions, 'onIndexesRebuilt' | 'observe'> = {},
): Promise<FileAudit> {
  const origin = config.logOrigin ?? defaultLogOrigin();
  if (!isValidKeyName(origin))
    throw new Error('GATEWAY_LOG_ORIGIN: must be 1-255 characters without spaces or "+"');
  const keyFile = config.logKeyFile ?? path.join(config.dataDir, 'audit-log.key');
  const key = await loadOrCreateLogKey(keyFile);
  const verifier = noteVerifier(origin, key.publicKey);
  const auditDir = path.join(config.dataDir, 'audit');
  // A log written before receipts (docs/protocol.md §9) has no head.bin, only the last signed tree
  // head in audit-checkpoint.json: it is adopted once, after proving the files still extend
  // that head; from then on head.bin alone carries the guarantee (and a missing head.bin
  // under a non-empty log is refused).
  const legacyState = path.join(config.dataDir, 'audit-checkpoint.json');
  const legacy = !nonEmpty(path.join(auditDir, HEAD_FILE)) && existsSync(legacyState);
  let store;
  try {
    store = await openFileLogStore(auditDir, {
      // One signed head per group-commit batch, durable with it: the receipts of §9.
      signer: checkpointHeadSigner(verifier, key.secretKey),
      adoptUnsignedLog: legacy,
      ...hooks,
    });
  } catch (err) {
    throw new Error(`audit log refused: ${firstLine(err)}. ${adviceFor(err, keyFile)}`, {
      cause: err,
    });
  }
  if (legacy) {
    const signer = new CheckpointSigner(
      store,
      new FileSignedTreeHeadStore(legacyState, key.publicKey),
      verifier,
      key.secretKey,
    );
    try {
      await signer.current();
      await rm(legacyState);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw new Error(`audit log refused: ${firstLine(err)}. ${adviceFor(err, keyFile)}`, {
        cause: err,
      });
    }
  }
  return {
    service: new AuditService(store, undefined, verifier),
    origin,
    logKey: { verifier, secretKey: key.secretKey },
    close: () => store.close(),
  };
}

/** The end of every refusal line about damaged or rewritten files: what the operator does next. */
const CORRUPT_ADVICE =
  'What to do: stop, keep the data directory unchanged as evidence, and restore it from a backup ' +
  '(docs/audit.md#when-the-gateway-refuses-to-start)';

/**
 * What the operator does next. A signed head that does not verify with the key file's key
 * most often means the key file was replaced or edited (a new key would sign another
 * history), so that advice comes first.
 */
function adviceFor(err: unknown, keyFile: string): string {
  if (err instanceof DirLockedError)
    return `What to do: another gateway (process ${err.pid}) is using this data directory; stop it first, or give this instance its own GATEWAY_DATA_DIR (the files are not damaged)`;
  const headRejected =
    err instanceof LogKeyChangedError ||
    (err instanceof Error && /head\.bin slot \d+ does not verify/.test(err.message));
  return headRejected
    ? `What to do: the log key changed or the signed head was altered: put the original key back in ${keyFile}; never start a log that has signed checkpoints with a new key. If the key is the original, ${CORRUPT_ADVICE.slice('What to do: '.length)}`
    : CORRUPT_ADVICE;
}

function nonEmpty(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return line.replace(/[.\s]+$/u, '');
}
