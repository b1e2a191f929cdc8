import type { PolicyProvider } from '../policy/active-policy.js';
import type { GaugeSources, NonceStoreState, PolicyState } from './gauge-sources.js';

export interface GatewayGaugeInputs {
  readonly policy: PolicyProvider;
  /** The nonce store's state, when the adapter compose.ts chose can tell it (memory). */
  readonly nonceStore?: () => NonceStoreState;
  /** Entries in the audit log, when the log can tell it. */
  readonly auditSize?: () => number;
  /** Redis mode only: whether Redis answers. */
  readonly redisUp?: () => Promise<boolean>;
  /** Rejected policy reloads so far, when the caller counts them. */
  readonly reloadFailures?: () => number;
  /** Candidate-policy disagreements since start, when a candidate is configured. */
  readonly candidateDisagreements?: () => number;
}

/**
 * The scrape-time gauge callbacks (called from compose.ts, which knows the concrete
 * adapters it built and passes only what each can answer: the memory nonce store knows its
 * size and eviction mark, the Redis one does not, since its keys expire inside Redis).
 */
export function gatewayGaugeSources(inputs: GatewayGaugeInputs): GaugeSources {
  const { policy } = inputs;
  const policySource = (): PolicyState => {
    const s = policy.status();
    const failures = inputs.reloadFailures?.();
    return {
      lastReloadFailed: s.lastError !== undefined,
      ...(s.revision !== undefined && { revision: s.revision }),
      ...(s.activatedAt !== undefined && { activatedAt: s.activatedAt }),
      ...(failures !== undefined && { reloadFailures: failures }),
    };
  };
  const { nonceStore, auditSize, redisUp, candidateDisagreements } = inputs;
  return {
    policy: policySource,
    ...(nonceStore !== undefined && { nonceStore }),
    ...(auditSize !== undefined && { auditLog: () => ({ size: auditSize() }) }),
    ...(redisUp !== undefined && { redisUp }),
    ...(candidateDisagreements !== undefined && { candidateDisagreements }),
  };
}
