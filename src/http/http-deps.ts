import type { Logger } from 'pino';
import type { AuditReader } from '../audit/audit-service.js';
import type { ClientRegistry } from '../config/clients.js';
import type { GatewayPorts } from '../gateway/ports.js';
import type { CandidateStatus } from '../gateway/shadow-candidate.js';
import type { ReleasePorts } from '../gateway/release-ports.js';
import type { Metrics } from '../metrics/metrics-port.js';
import type { ActivePolicy, PolicyProvider } from '../policy/active-policy.js';
import type { AdmissionStore } from '../replay/admission.js';

/** A named readiness probe: resolves true when the dependency can serve. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean> | boolean;
}

/** Renders the Prometheus exposition text (prometheus-metrics.ts provides it). */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

/** What the routes read of the candidate policy (gateway/shadow-candidate.ts). */
export interface CandidateView {
  current(): ActivePolicy | undefined;
  status(): CandidateStatus;
}

/** What the route handlers and auth middleware of the table get (built by app.ts). */
export interface HttpDeps {
  readonly clients: ClientRegistry;
  readonly admission: AdmissionStore;
  readonly policy: PolicyProvider;
  /** The candidate policy in the shadow (docs/protocol.md §13), when one is configured. */
  readonly candidate?: CandidateView;
  readonly logger: Logger;
  /** Ports of the use cases in src/gateway/. */
  readonly ports: GatewayPorts;
  /** Waiting for deploys and release attestations (docs/protocol.md §10). */
  readonly releases: ReleasePorts;
  readonly auditReader: AuditReader | undefined;
  readonly readiness: readonly ReadinessCheck[];
  readonly toleranceSeconds: number;
  readonly bodyLimitBytes: number;
  readonly metrics: Metrics;
  readonly renderMetrics: MetricsRenderer;
  /** The OpenAPI document, built once from the route table. */
  readonly openApiDocument: Record<string, unknown>;
  nowMs(): number;
}
