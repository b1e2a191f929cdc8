import { pino, type Logger } from 'pino';
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
 * The recorder of one app: the request metric, then the access line when `logger` logs at
 * `info`. The line is what `logger.info({ reqId, method, path, status, ms, client, code },
 * 'request')` writes, joined by hand from the same parts pino uses (its level prefix, its
 * time, the logger's bindings, its line end, all read through the public `pino.symbols`):
 * the fields are fixed and known, so pino's walk over an object, its type switch and its
 * redaction pass are not needed (bench/README.md, issue 19: about 5% of the CPU of
 * `POST /v1/events`). Only fixed, non-secret fields are written, never headers or bodies.
 * test/http/access-line.test.ts compares the two for any field values, and
 * test/http/logs.test.ts pins the fields the line may carry.
 */
export function requestRecorder(logger: Logger, metrics: Metrics): RequestRecorder {
  const line = accessLine(logger);
  return (r) => {
    metrics.request(r.route, r.method, r.status, r.ms / 1000);
    if (logger.isLevelEnabled('info')) line(r);
  };
}

/** What `_asJson` of pino reads to start and end a line (lib/tools.js). */
interface PinoLineParts {
  readonly [key: symbol]: unknown;
}

/** Writes the access line of `r` to `logger`'s destination. */
function accessLine(logger: Logger): (r: FinishedRequest) => void {
  const parts = logger as unknown as PinoLineParts;
  const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym, messageKeySym } = pino.symbols;
  const level = (parts[lsCacheSym] as Record<number, string>)[logger.levels.values['info']!]!;
  const time = parts[timeSym] as (this: Logger) => string;
  const msg = `,${JSON.stringify(parts[messageKeySym])}:"request"${parts[endSym] as string}`;
  return (r) => {
    const head = level + time.call(logger) + (parts[chindingsSym] as string);
    const ms = Math.round(r.ms * 100) / 100;
    const code = r.code === undefined ? '' : `,"code":${JSON.stringify(r.code)}`;
    const client = r.client === undefined ? '' : `,"client":${JSON.stringify(r.client)}`;
    const text =
      `${head},"reqId":${JSON.stringify(r.requestId)},"method":${JSON.stringify(r.method)},` +
      `"path":${JSON.stringify(r.path)},"status":${r.status},` +
      `"ms":${Number.isFinite(ms) ? ms : null}${client}${code}${msg}`;
    (parts[streamSym] as { write(s: string): void }).write(text);
  };
}
