import type { GatewayEvent } from '../events/event-schema.js';

/**
 * Port: what the request path needs from the policy engine. A request takes one
 * `ActivePolicy` snapshot when it starts and uses only that snapshot, so a hot reload in
 * the middle of a request can never mix two revisions.
 */

/** A quorum rule with approver keys resolved (PROTOCOL §4, §5). */
export interface QuorumRule {
  readonly threshold: number;
  /** Approver names in policy order. */
  readonly approvers: readonly string[];
  readonly ttlSeconds: number;
}

export interface PolicyVerdict {
  readonly decision: 'allow' | 'deny';
  /** Stable rule ids (`max_steps`, `deny_pattern:<name>`, `deny_emoji`, `action_not_allowed`); empty on allow. */
  readonly reasons: readonly string[];
}

/** One compiled, immutable policy revision. */
export interface ActivePolicy {
  /** `sha256:<hex>` of the policy file bytes. */
  readonly revision: string;
  /** RFC 3339 time this revision became active. */
  readonly activatedAt: string;
  /** The client's rate limit, or undefined for none. */
  ratePerMinute(clientId: string): number | undefined;
  /** Pure and total: any internal error yields a deny. */
  evaluate(clientId: string, event: GatewayEvent): PolicyVerdict;
  /** The quorum rule for an action, if it needs one. */
  quorumFor(action: string): QuorumRule | undefined;
  /** An approver's 32-byte public key, if the approver is defined. */
  approverKey(name: string): Uint8Array | undefined;
}

/** Status for `GET /v1/policy` (PROTOCOL §4). */
export interface PolicyStatus {
  readonly revision?: string;
  readonly activatedAt?: string;
  readonly lastError?: string;
  readonly lastAttemptAt?: string;
}

export interface PolicyProvider {
  /** The active revision, or undefined when no good policy was ever loaded (deny everything). */
  current(): ActivePolicy | undefined;
  status(): PolicyStatus;
}
