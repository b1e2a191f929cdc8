/**
 * Start-up recovery of the nonces of the current window (docs/protocol.md §16: no replay may ever
 * succeed, also not after a restart or a crash).
 *
 * Every request that passed checks 1–6 and became a decision is in the audit log with
 * `nonce` (hex SHA-256 of `client\nnonce`) and `timestamp`, and the log is durable before
 * any answer. Reading the recent tail of the log back into the nonce store therefore
 * restores every nonce a replay could use. Requests that claimed a nonce but never became
 * a decision (invalid body, append failed) had no effect, so a replay of them is harmless.
 */
import { digestLabelHex } from '../protocol/grammar.js';

/** The part of the audit log's read side that recovery needs. */
export interface RecentEntriesReader {
  size(): number;
  entries(start: number, count: number): Promise<readonly { readonly entry: unknown }[]>;
}

/** Where recovered nonces go (the admission store's `remember`, plus a fail-closed bound). */
export interface NonceSink {
  remember(nonceSha256: string, timestamp: number, nowMs: number): Promise<void>;
  /** Refuse every request whose timestamp is not newer than this (unix seconds). */
  refuseUpTo?(timestamp: number): void;
}

export interface RecoverNoncesOptions {
  readonly nowMs: number;
  readonly toleranceSeconds: number;
  /** At most this many entries are read (bounds start-up time); default 1,000,000. */
  readonly maxEntries?: number;
  /** Entries read per request to the log (the entries route allows 256). */
  readonly batch?: number;
}

/**
 * How far before the window's start the scan goes on, in seconds: entries are appended in
 * roughly, not strictly, time order (concurrent requests, a small clock step).
 */
const ORDER_SLACK_SECONDS = 60;

/**
 * Reads the log backwards from its end and feeds every decision's nonce whose timestamp is
 * still inside the acceptance window into `sink`. Stops at the first entry older than the
 * window could need: a request timestamp may lie `tolerance` seconds before or after the
 * server time the entry records, so entries older than `now − 2 × tolerance` (plus slack)
 * can hold no usable nonce. If `maxEntries` stops the scan first, every request not newer
 * than what the unread entries could hold is refused (fail closed, never a replay).
 *
 * @returns how many entries were read and how many nonces were restored.
 */
export async function recoverNonces(
  log: RecentEntriesReader,
  sink: NonceSink,
  options: RecoverNoncesOptions,
): Promise<{ readonly read: number; readonly restored: number }> {
  const { nowMs, toleranceSeconds } = options;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const batch = options.batch ?? 256;
  const oldestUseful = nowMs / 1000 - 2 * toleranceSeconds - ORDER_SLACK_SECONDS;
  let end = log.size();
  let read = 0;
  let restored = 0;
  let lastSeenSeconds = nowMs / 1000;
  while (end > 0) {
    if (read >= maxEntries) {
      // Unread entries were decided at or before the last one read (minus slack); their
      // timestamps can be at most `tolerance` after that.
      sink.refuseUpTo?.(Math.ceil(lastSeenSeconds + ORDER_SLACK_SECONDS + toleranceSeconds));
      break;
    }
    const start = Math.max(0, end - batch);
    const views = await log.entries(start, end - start);
    for (let i = views.length - 1; i >= 0; i--) {
      read += 1;
      const entry = views[i]?.entry;
      const seconds = entryTimeSeconds(entry);
      if (seconds !== undefined) lastSeenSeconds = seconds;
      if (seconds !== undefined && seconds < oldestUseful) return { read, restored };
      const nonce = decisionNonce(entry);
      if (nonce !== undefined) {
        await sink.remember(nonce.digest, nonce.timestamp, nowMs);
        restored += 1;
      }
    }
    end = start;
  }
  return { read, restored };
}

function entryTimeSeconds(entry: unknown): number | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const time = (entry as { time?: unknown }).time;
  if (typeof time !== 'string') return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function decisionNonce(entry: unknown): { digest: string; timestamp: number } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { type, nonce, timestamp } = entry as {
    type?: unknown;
    nonce?: unknown;
    timestamp?: unknown;
  };
  if (type !== 'decision' || typeof nonce !== 'string' || typeof timestamp !== 'number')
    return undefined;
  const digest = digestLabelHex(nonce);
  if (digest === undefined || !Number.isSafeInteger(timestamp)) return undefined;
  return { digest, timestamp };
}
