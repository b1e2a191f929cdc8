import { AuditService } from '../audit-service.js';
import { checkpointHeadSigner, isValidKeyName, noteVerifier } from '../checkpoint.js';
import { loadOrCreateLogKey } from '../log-key.js';
import type { OpenedAudit } from '../open-file-audit.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SignedHead } from '../log-store.js';
import { openPgLogStore } from './pg-log-store.js';
import type { BatchObservation } from './pg-sequencer.js';
import { SEEN_HEAD_FILE, SeenHeadRecorder, checkAgainstSeen, loadSeenHead } from './seen-head.js';

/** What the composition root needs to open the PostgreSQL audit log (docs/protocol.md §14). */
export interface PgAuditConfig {
  /** DATABASE_URL (never logged: it may hold a password). */
  readonly databaseUrl: string;
  /** GATEWAY_LOG_ORIGIN: required, the same on every instance. */
  readonly logOrigin: string;
  /** GATEWAY_LOG_KEY_FILE: required, the same key on every instance. */
  readonly logKeyFile: string;
  /** Damage found by the background re-verification of a big log. */
  readonly onSweepFailure?: (err: Error) => void;
  /** Every committed batch (metrics: size, commit latency, sequence lock wait). */
  readonly observe?: (o: BatchObservation) => void;
  /**
   * GATEWAY_DATA_DIR: this instance remembers the newest signed head it saw in
   * `<dataDir>/audit-seen-head` and refuses a database restored to an older state.
   */
  readonly dataDir?: string;
  /** The seen-head file could not be written (the instance keeps serving). */
  readonly onSeenHeadError?: (err: Error) => void;
}

/**
 * Opens the audit log shared by every instance in PostgreSQL: loads (or creates) the log
 * key, connects, applies migrations, records the log's origin and public key on first use
 * and refuses another key or origin afterwards, and checks the stored tree against its
 * signed head. Rejects with one line (never the URL).
 */
export async function openPgAudit(config: PgAuditConfig): Promise<OpenedAudit> {
  const origin = config.logOrigin;
  if (!isValidKeyName(origin))
    throw new Error('GATEWAY_LOG_ORIGIN: must be 1-255 characters without spaces or "+"');
  const key = await loadOrCreateLogKey(config.logKeyFile);
  const verifier = noteVerifier(origin, key.publicKey);
  const signer = checkpointHeadSigner(verifier, key.secretKey);
  let store;
  let recorder: SeenHeadRecorder | undefined;
  try {
    let seen: SignedHead | undefined;
    let seenFile: string | undefined;
    if (config.dataDir !== undefined) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      seenFile = path.join(config.dataDir, SEEN_HEAD_FILE);
      seen = await loadSeenHead(seenFile, signer);
      recorder = new SeenHeadRecorder(seenFile, seen, config.onSeenHeadError);
    }
    const rec = recorder;
    store = await openPgLogStore({
      url: config.databaseUrl,
      origin,
      publicKey: key.publicKey,
      signer,
      ...(config.onSweepFailure !== undefined && { onSweepFailure: config.onSweepFailure }),
      ...(config.observe !== undefined && { observe: config.observe }),
      ...(rec !== undefined && { onAdvance: (h: SignedHead) => rec.saw(h) }),
    });
    const opened = store;
    try {
      const head = await opened.latest();
      if (seen !== undefined && seenFile !== undefined)
        await checkAgainstSeen(opened, head, seen, seenFile);
      // Remember the database's head now (a fresh instance learns it here).
      recorder?.saw(head);
      await recorder?.flush();
    } catch (err) {
      await opened.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    const line = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw new Error(line.startsWith('audit log refused') ? line : `audit log refused: ${line}`, {
      cause: err,
    });
  }
  return {
    service: new AuditService(store, undefined, verifier),
    origin,
    logKey: { verifier, secretKey: key.secretKey },
    ready: () => store.ready(),
    close: async () => {
      await store.close();
      await recorder?.flush();
    },
  };
}
