import type { GatewayEvent } from '../events/event-schema.js';
import type { ApproverKey } from './approver-key.js';

/**
 * Port: what the request path needs from the policy engine. A request takes one
 * `ActivePolicy` snapshot when it starts and uses only that snapshot, so a hot reload in
 * the middle of a request can never mix two revisions.
 */

/** A quorum rule with approver keys resolved (docs/protocol.md §4, §5). */
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

/** What the caller has proven about an event's text, so evaluation can skip work. */
export interface EventFacts {
  /**
   * Every string of the event (keys included) is printable ASCII, U+0020–U+007E, as
   * `jsonStringsArePrintableAscii` (src/json) proves from the body's bytes. Folding such a string is
   * lower-casing alone (the first line of `foldForPatterns`), without its per-string scan.
   */
  readonly printableAscii: boolean;
}

/** One compiled, immutable policy revision. */
export interface ActivePolicy {
  /** `sha256:<hex>` of the policy file bytes. */
  readonly revision: string;
  /** RFC 3339 time this revision became active. */
  readonly activatedAt: string;
  /** The client's rate limit, or undefined for none. */
  ratePerMinute(clientId: string): number | undefined;
  /**
   * Pure and total: any internal error yields a deny. `facts` lets a caller that has proven
   * something about the event's text (see EventFacts) skip work; the verdict is the same.
   */
  evaluate(clientId: string, event: GatewayEvent, facts?: EventFacts): PolicyVerdict;
  /** The quorum rule for an action, if it needs one. */
  quorumFor(action: string): QuorumRule | undefined;
  /**
   * An approver's 32-byte Ed25519 public key for raw (hex) signatures, if the approver is
   * defined with a plain Ed25519 key (hex or `ssh-ed25519`); undefined for security keys.
   */
  approverKey(name: string): Uint8Array | undefined;
  /** An approver's key as the policy lists it (any format, docs/protocol.md §12), if defined. */
  approver(name: string): ApproverKey | undefined;
  /** The approver names the policy defines, in file order. */
  readonly approverNames: readonly string[];
}

/** Status for `GET /v1/policy` (docs/protocol.md §4). */
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
