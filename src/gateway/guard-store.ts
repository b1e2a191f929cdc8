import { GatewayError } from '../errors.js';

/**
 * Runs a store or audit-log operation; if it fails for any reason other than a refusal
 * it fails the request closed with 503 `unavailable` (the cause is logged, never sent).
 */
export async function guardStore<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError('unavailable', { cause });
  }
}
