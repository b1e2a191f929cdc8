import type { AuditAppender } from '../audit/audit-log.js';
import type { Metrics } from '../metrics/metrics-port.js';
import type { PendingDeployStore } from '../quorum/pending-deploy.js';
import type { DeliveryPorts } from './owe-deliveries.js';
import type { CandidateObserver } from './shadow-candidate.js';

/**
 * What the use cases of this folder need, handed in by the caller (the HTTP edge in the
 * server, in-memory adapters in tests). No use case reaches for a global.
 */
export interface GatewayPorts {
  /** The audit log; an answer may cite an index only after `append` resolved (durable). */
  readonly audit: AuditAppender;
  readonly deploys: PendingDeployStore;
  /** Unix milliseconds now. */
  nowMs(): number;
  /** A fresh unguessable id (decision ids, approval ids, release claim tokens). */
  newId(): string;
  /** Stage timings (policy); optional. */
  readonly metrics?: Metrics;
  /** The delivery outbox and targets (docs/protocol.md §11); absent: nothing is ever owed. */
  readonly deliveries?: DeliveryPorts;
  /** The candidate policy in the shadow: shown each decided event; optional. */
  readonly candidate?: CandidateObserver;
}

/**
 * How long a release claim lasts. Long enough for two durable appends under load, short
 * enough that a deploy whose releasing instance crashed is released by the next approval
 * or read within a minute.
 */
export const RELEASE_CLAIM_MS = 60_000;
