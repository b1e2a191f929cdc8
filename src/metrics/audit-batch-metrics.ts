import { Histogram, type Registry } from 'prom-client';

/**
 * One committed audit batch, from either store (structurally the PostgreSQL store's
 * BatchObservation and the file log's FileBatchObservation).
 */
export interface AuditBatchObservation {
  readonly leaves: number;
  /** PostgreSQL: BEGIN to COMMIT acknowledged. File log: the batch's fdatasyncs. */
  readonly commitSeconds: number;
  /** PostgreSQL only: waiting for the sequence row, i.e. for other instances' batches. */
  readonly lockWaitSeconds?: number;
}

const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
const SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

const HELP = {
  file: {
    size: 'Entries per committed audit batch (file log).',
    commit:
      'Audit batch wait for durability: the records fdatasync issued to the batch last sync seen complete by the event loop, i.e. disk sync latency plus any wait for a busy event loop (file log).',
  },
  postgres: {
    size: 'Entries per committed audit batch (PostgreSQL log).',
    commit: 'Audit batch transaction time, BEGIN to COMMIT acknowledged (PostgreSQL log).',
  },
} as const;

/**
 * The audit log's batch metrics (issue 16, Ops; issue 19 for the file log) on the gateway's
 * registry: batch size and commit latency, one observation per committed batch (once per
 * batch, not per entry), plus the wait for the sequence row lock with PostgreSQL. Returns
 * the observer the store reports to.
 */
export function registerAuditBatchMetrics(
  registry: Registry,
  store: 'file' | 'postgres',
): (o: AuditBatchObservation) => void {
  const registers = [registry];
  const size = new Histogram({
    name: 'gateway_audit_batch_size',
    help: HELP[store].size,
    buckets: SIZE_BUCKETS,
    registers,
  });
  const commit = new Histogram({
    name: 'gateway_audit_batch_commit_seconds',
    help: HELP[store].commit,
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const lockWait =
    store === 'postgres'
      ? new Histogram({
          name: 'gateway_audit_sequence_lock_wait_seconds',
          help: 'Wait for the sequence row lock per batch, i.e. for other instances (PostgreSQL log).',
          buckets: SECONDS_BUCKETS,
          registers,
        })
      : undefined;
  return (o) => {
    size.observe(o.leaves);
    commit.observe(o.commitSeconds);
    if (o.lockWaitSeconds !== undefined) lockWait?.observe(o.lockWaitSeconds);
  };
}
