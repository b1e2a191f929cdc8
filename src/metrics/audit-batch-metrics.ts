import { Histogram, type Registry } from 'prom-client';

/** One committed batch of the PostgreSQL audit log (structurally its BatchObservation). */
export interface AuditBatchObservation {
  readonly leaves: number;
  /** From BEGIN to COMMIT acknowledged. */
  readonly commitSeconds: number;
  /** Waiting for the sequence row: other instances' batches. */
  readonly lockWaitSeconds: number;
}

const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The PostgreSQL audit log's sequencing metrics (issue 16, Ops) on the gateway's registry:
 * batch size, commit latency and the wait for the sequence row lock, one observation per
 * committed batch (off the request path's hot loop: once per batch, not per entry).
 * Returns the observer the store reports to.
 */
export function registerAuditBatchMetrics(registry: Registry): (o: AuditBatchObservation) => void {
  const registers = [registry];
  const size = new Histogram({
    name: 'gateway_audit_batch_size',
    help: 'Entries per committed audit batch (PostgreSQL log).',
    buckets: SIZE_BUCKETS,
    registers,
  });
  const commit = new Histogram({
    name: 'gateway_audit_batch_commit_seconds',
    help: 'Audit batch transaction time, BEGIN to COMMIT acknowledged (PostgreSQL log).',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const lockWait = new Histogram({
    name: 'gateway_audit_sequence_lock_wait_seconds',
    help: 'Wait for the sequence row lock per batch, i.e. for other instances (PostgreSQL log).',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  return (o) => {
    size.observe(o.leaves);
    commit.observe(o.commitSeconds);
    lockWait.observe(o.lockWaitSeconds);
  };
}
