import type { Logger } from 'pino';
import { GatewayError, isGatewayError } from '../errors.js';
import type { Metrics } from '../metrics/metrics-port.js';

/**
 * What a request that threw answers (both ways a request is served): a GatewayError as is;
 * anything else is a bug, logged with its error and answered 500 `internal` with no detail.
 * Server-side failures are logged with their cause; every refusal is counted by its code.
 */
export function refusalFor(
  err: unknown,
  requestId: string | undefined,
  logger: Logger,
  metrics: Metrics,
): GatewayError {
  if (!isGatewayError(err)) {
    logger.error({ reqId: requestId, err }, 'unhandled error');
    metrics.refusal('internal');
    return new GatewayError('internal');
  }
  metrics.refusal(err.code);
  if (err.code === 'unavailable' || err.code === 'internal')
    logger.error({ reqId: requestId, code: err.code, err: err.cause }, 'request failed');
  return err;
}
