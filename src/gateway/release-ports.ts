import type { DeployWatch } from '../quorum/deploy-watch.js';
import type { AttestationPorts } from './issue-attestation.js';
import type { WaitSlots } from './wait-slots.js';

/**
 * What waiting for deploys and issuing release attestations need (docs/protocol.md §10), built by
 * app.ts from AppDeps (compose.ts chooses the memory or Redis adapters).
 */
export interface ReleasePorts {
  /** Change notifications for held `GET /v1/deploys/<id>?wait=` requests. */
  readonly watch: DeployWatch;
  /** Bounds on held requests, per client and in total. */
  readonly slots: WaitSlots;
  /** Absent when the gateway has no log signer or reader: the attestation route is not served. */
  readonly attestation: AttestationPorts | undefined;
}
