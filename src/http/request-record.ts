import type { Logger } from 'pino';
import { randomId } from '../crypto/index.js';
import type { Metrics } from '../metrics/metrics-port.js';

/**
 * What every finished request leaves behind, the same whichever way it was served (the Hono
 * app's request-context middleware, or the Node lane of `POST /v1/events`): its id, one
 * access line and one request metric.
 */

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The request's id: a caller's well-formed `X-Request-Id` is kept so logs can be joined
 * across systems, anything else is replaced by a fresh one.
 */
export function requestIdFor(offered: string | undefined): string {
  return offered !== undefined && SAFE_REQUEST_ID.test(offered) ? offered : randomId();
}

/** One finished request, as it is logged and counted. */
export interface FinishedRequest {
  readonly requestId: string;
  /** The matched route pattern, or `unmatched`: never the raw path (a bounded label set). */
  readonly route: string;
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly client: string | undefined;
  /** A refusal's stable code (docs/protocol.md §7). */
  readonly code: string | undefined;
}

/** Records finished requests: `metrics.request` and one `request` line. */
export type RequestRecorder = (r: FinishedRequest) => void;

/**
 * The recorder of one app. The access line is built from fixed, non-secret fields only
 * (never headers or bodies), so it skips pino's redaction pass, which re-walks every
 * configured path on every line and was the largest part of logging's per-request cost
 * (bench/README.md). test/http/logs.test.ts pins the fields it may carry.
 */
export function requestRecorder(logger: Logger, metrics: Metrics): RequestRecorder {
  const accessLog = logger.child({}, { redact: [] });
  return (r) => {
    metrics.request(r.route, r.method, r.status, r.ms / 1000);
    const line: Record<string, unknown> = {
      reqId: r.requestId,
      method: r.method,
      path: r.path,
      status: r.status,
      ms: Math.round(r.ms * 100) / 100,
      client: r.client,
    };
    // Assigned, not `...(code !== undefined && { code })` (a slow spread); same key order.
    if (r.code !== undefined) line['code'] = r.code;
    accessLog.info(line, 'request');
  };
}
