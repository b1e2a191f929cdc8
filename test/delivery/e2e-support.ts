import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import type { Received } from './receiver.js';

/** One target of a targets file (docs/protocol.md §11). */
export interface TargetEntry {
  readonly id: string;
  readonly url: string;
  readonly secrets: readonly string[];
  readonly events: readonly string[];
  readonly actions?: readonly string[];
}

/** Writes a targets file (mode 0600 unless given) into `dir`; returns its path. */
export function writeTargetsFile(
  dir: string,
  targets: readonly TargetEntry[],
  mode = 0o600,
): string {
  const file = path.join(dir, 'targets.json');
  writeFileSync(file, JSON.stringify({ targets }, null, 2), { mode });
  chmodSync(file, mode);
  return file;
}

/** The delivery body of docs/protocol.md §11 as a receiver reads it. */
export interface DeliveryBody {
  readonly type: 'event.allowed' | 'deploy.approved';
  readonly timestamp: string;
  readonly data: {
    readonly decision: string;
    readonly client: string;
    readonly action: string;
    readonly target: string;
    readonly request: string;
    readonly event: unknown;
    readonly deploy?: Record<string, unknown>;
    readonly attestation?: { payloadType: string; payload: string; signatures: unknown[] };
    readonly audit: { index: number; leafHash: string };
  };
}

/**
 * Verifies `r` with the published `standardwebhooks` package under `secret` (throws if it
 * does not verify) and returns the parsed body. The library also refuses timestamps more
 * than 5 minutes off, so this checks `webhook-timestamp` is the attempt's time too.
 */
export function verifyWithLibrary(r: Received, secret: string): DeliveryBody {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': r.id,
    'webhook-timestamp': r.timestamp,
    'webhook-signature': r.signature,
  }) as DeliveryBody;
}
