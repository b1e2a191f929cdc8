import type { PolicyProvider } from '../policy/active-policy.js';
import type { AdmissionStore } from '../replay/admission.js';
import { MemoryAdmissionStore } from '../replay/memory-admission.js';
import type { AuditLogState, GaugeSources, PolicyState } from './gauge-sources.js';

/** What the audit log may offer for gauges; read by duck typing so any adapter fits. */
interface AuditGaugeView {
  size?: () => number;
}

export interface GatewayGaugeInputs {
  readonly admission: AdmissionStore;
  readonly policy: PolicyProvider;
  readonly audit: unknown;
  readonly nonceCapacity: number;
  /** Redis mode only: whether Redis answers. */
  readonly redisUp?: () => Promise<boolean>;
  /** Rejected policy reloads so far, when the caller counts them. */
  readonly reloadFailures?: () => number;
}

/**
 * The scrape-time gauge callbacks for the gateway's adapters (called from compose.ts). Each
 * source is present only when its adapter can answer it: the memory nonce store knows its
 * size and eviction mark, the Redis one does not (its keys expire inside Redis).
 */
export function gatewayGaugeSources(inputs: GatewayGaugeInputs): GaugeSources {
  const { admission, policy } = inputs;
  const audit = inputs.audit as AuditGaugeView;
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
  return {
    policy: policySource,
    ...(admission instanceof MemoryAdmissionStore && {
      nonceStore: () => ({
        size: admission.nonces.size,
        capacity: inputs.nonceCapacity,
        highWaterTimestamp: admission.nonces.highWater,
      }),
    }),
    ...(typeof audit.size === 'function' && {
      auditLog: (): AuditLogState => ({ size: audit.size!() }),
    }),
    ...(inputs.redisUp !== undefined && { redisUp: inputs.redisUp }),
  };
}
