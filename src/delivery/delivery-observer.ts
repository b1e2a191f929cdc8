/**
 * Port: what the dispatcher reports for operators (metrics). The Prometheus adapter lives
 * in src/metrics/delivery-metrics.ts; tests pass `noopDeliveryObserver` or a recorder.
 */

/** How an attempt ended, as a small closed label set. */
export type AttemptLabel = 'success' | 'http_error' | 'timeout' | 'network';

export interface DeliveryObserver {
  /** One attempt finished after `seconds`. */
  attempt(result: AttemptLabel, seconds: number): void;
  /** A delivery reached a final state. */
  outcome(outcome: 'delivered' | 'dead'): void;
  /** `target` was found down (its new deliveries are held), or answers again. */
  targetAvailability(target: string, available: boolean): void;
}

export const noopDeliveryObserver: DeliveryObserver = {
  attempt: () => {},
  outcome: () => {},
  targetAvailability: () => {},
};
