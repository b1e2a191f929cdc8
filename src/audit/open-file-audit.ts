import { hostname } from 'node:os';
import path from 'node:path';
import { AuditService } from './audit-service.js';
import { isValidKeyName, noteVerifier, type NoteVerifier } from './checkpoint.js';
import { CheckpointSigner } from './checkpoint-signer.js';
import { FileSignedTreeHeadStore } from './checkpoint-state-file.js';
import { loadOrCreateLogKey } from './log-key.js';
import { openFileLogStore } from './storage/file-log-store.js';

/** What the composition root needs to know to open the audit log. */
export interface FileAuditConfig {
  /** GATEWAY_DATA_DIR: the log lives in `<dataDir>/audit`, the signed head beside it. */
  readonly dataDir: string;
  /** GATEWAY_LOG_ORIGIN, or undefined to derive it from the host name. */
  readonly logOrigin: string | undefined;
  /** GATEWAY_LOG_KEY_FILE, or undefined for `<dataDir>/audit-log.key`. */
  readonly logKeyFile: string | undefined;
}

/** The opened audit log and how to close it. */
export interface FileAudit {
  readonly service: AuditService;
  readonly origin: string;
  /**
   * The log's note verifier and Ed25519 key, for the composition root to build the
   * release-attestation signer (PROTOCOL §10: attestations are signed with the log key).
   */
  readonly logKey: { readonly verifier: NoteVerifier; readonly secretKey: Uint8Array };
  close(): Promise<void>;
}

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
 * creates the signing key, and signs the current checkpoint once, which proves the log
 * still extends the last checkpoint ever signed. Any failure rejects with a one-line
 * message, so start-up refuses a corrupted or rewritten log instead of serving it.
 */
export async function openFileAudit(config: FileAuditConfig): Promise<FileAudit> {
  const origin = config.logOrigin ?? defaultLogOrigin();
  if (!isValidKeyName(origin))
    throw new Error('GATEWAY_LOG_ORIGIN: must be 1-255 characters without spaces or "+"');
  const key = await loadOrCreateLogKey(
    config.logKeyFile ?? path.join(config.dataDir, 'audit-log.key'),
  );
  let store;
  try {
    store = await openFileLogStore(path.join(config.dataDir, 'audit'));
  } catch (err) {
    throw new Error(`audit log refused: ${firstLine(err)}`, { cause: err });
  }
  const verifier = noteVerifier(origin, key.publicKey);
  const heads = new FileSignedTreeHeadStore(path.join(config.dataDir, 'audit-checkpoint.json'));
  const signer = new CheckpointSigner(store, heads, verifier, key.secretKey);
  try {
    await signer.current();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new Error(`audit log refused: ${firstLine(err)}`, { cause: err });
  }
  return {
    service: new AuditService(store, signer, verifier),
    origin,
    logKey: { verifier, secretKey: key.secretKey },
    close: () => store.close(),
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
