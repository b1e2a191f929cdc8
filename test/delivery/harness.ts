import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/clock.js';
import { randomId } from '../../src/crypto/index.js';
import type { NewDelivery } from '../../src/delivery/delivery.js';
import {
  DeliveryDispatcher,
  type DispatcherOptions,
  type FinalOutcome,
} from '../../src/delivery/dispatcher.js';
import { openFileOutbox } from '../../src/delivery/file-outbox.js';
import type { Outbox } from '../../src/delivery/outbox.js';
import { planDeliveries } from '../../src/delivery/payload.js';
import type { RetrySchedule } from '../../src/delivery/retry-schedule.js';
import { buildTargetRegistry, type TargetRegistry } from '../../src/delivery/targets.js';
import { newSecret } from './receiver.js';

/** A fast schedule for tests: the production code path with millisecond figures. */
export const FAST: RetrySchedule = { baseMs: 20, capMs: 200, maxAttempts: 5, maxAgeMs: 60_000 };

export interface TargetSpec {
  readonly id: string;
  readonly url: string;
  readonly secrets?: string[];
}

/** A registry of `event.allowed` targets with fresh secrets (returned for the receivers). */
export function registryOf(specs: readonly TargetSpec[]): {
  targets: TargetRegistry;
  secrets: Map<string, string[]>;
} {
  const secrets = new Map<string, string[]>();
  const targets = buildTargetRegistry({
    targets: specs.map((s) => {
      const list = s.secrets ?? [newSecret()];
      secrets.set(s.id, list);
      return { id: s.id, url: s.url, secrets: list, events: ['event.allowed'] };
    }),
  });
  return { targets, secrets };
}

/** `n` owed event.allowed deliveries for every matching target. */
export function owed(targets: TargetRegistry, n: number, nowMs = Date.now()): NewDelivery[] {
  const out: NewDelivery[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      ...planDeliveries(
        targets,
        {
          type: 'event.allowed',
          decision: randomId(),
          client: 'ci-main',
          action: 'build',
          target: 'acme/web',
          request: `sha256:${'0'.repeat(64)}`,
          event: { action: 'build', target: 'acme/web', steps: [], n: i },
          audit: { index: i, leafHash: 'ab'.repeat(32) },
        },
        nowMs,
      ),
    );
  }
  return out;
}

export function tempOutboxDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'codex-outbox-')), 'deliveries');
}

export interface Harness {
  readonly outbox: Outbox;
  readonly dispatcher: DeliveryDispatcher;
  readonly audited: FinalOutcome[];
  close(): Promise<void>;
}

/** A started dispatcher over `outbox` (default: a file outbox in a new temp dir). */
export function startDispatcher(
  targets: TargetRegistry,
  options: Partial<DispatcherOptions> & { outbox?: Outbox } = {},
): Harness {
  const outbox = options.outbox ?? openFileOutbox(tempOutboxDir());
  const audited: FinalOutcome[] = [];
  const dispatcher = new DeliveryDispatcher({
    outbox,
    targets,
    clock: systemClock,
    schedule: FAST,
    timeoutMs: 2_000,
    pollMs: 10,
    audit: async (o) => {
      audited.push(o);
    },
    ...options,
  });
  dispatcher.start();
  return {
    outbox,
    dispatcher,
    audited,
    close: async () => {
      await dispatcher.close(100);
      await outbox.close();
    },
  };
}
