import type { GatewayEvent } from '../events/event-schema.js';
import type {
  ActivePolicy,
  EventFacts,
  PolicyProvider,
  PolicyStatus,
} from '../policy/active-policy.js';
import { answerOf, answersDiffer, type PolicyAnswer } from '../policy/verdict.js';

/** `GET /v1/policy`'s `candidate` object (docs/protocol.md §13): the reloader's record plus counts. */
export interface CandidateStatus extends PolicyStatus {
  /** Events on which the current candidate revision answered differently, since it loaded. */
  readonly disagreements: number;
  /** Events the current candidate revision was compared on, since it loaded. */
  readonly compared: number;
}

/** One event on which the candidate and the active policy answered differently. */
export interface Disagreement {
  readonly decisionId: string;
  readonly clientId: string;
  readonly action: string;
  readonly target: string;
  readonly active: PolicyAnswer;
  readonly candidate: PolicyAnswer;
}

/** What decide-event needs: compare one decided event, never changing it. */
export interface CandidateObserver {
  /** `facts`: what the route proved about the event's text, so the candidate skips that work too. */
  observe(
    decisionId: string,
    clientId: string,
    event: GatewayEvent,
    active: PolicyAnswer,
    facts?: EventFacts,
  ): void;
}

/**
 * A candidate policy in the shadow of live traffic (docs/protocol.md §13): after the active policy
 * decided an event, the candidate answers the same event; a different decision or
 * different reasons is a disagreement, counted and reported to `onDisagreement` (compose.ts
 * logs it and the metric reads the total). It never changes an answer: every failure here
 * is swallowed, and the answer was already decided and audited when `observe` runs. Its
 * cost is bounded like the active policy's: the candidate file passes the same load-time
 * cost estimate and each evaluation has the same character and work budget.
 */
export class ShadowCandidate implements CandidateObserver {
  private total = 0;
  private perRevision = { revision: '', disagreements: 0, compared: 0 };

  constructor(
    private readonly provider: PolicyProvider,
    private readonly onDisagreement: (d: Disagreement) => void = () => {},
  ) {}

  /** The candidate revision now loaded, if any. */
  current(): ActivePolicy | undefined {
    return this.provider.current();
  }

  /** Disagreements since start, all candidate revisions together (the metric). */
  disagreementsTotal(): number {
    return this.total;
  }

  status(): CandidateStatus {
    const status = this.provider.status();
    const same = status.revision === this.perRevision.revision;
    return {
      ...status,
      disagreements: same ? this.perRevision.disagreements : 0,
      compared: same ? this.perRevision.compared : 0,
    };
  }

  /** Answers `event` with the candidate; counts and reports a disagreement. Never throws. */
  observe(
    decisionId: string,
    clientId: string,
    event: GatewayEvent,
    active: PolicyAnswer,
    facts?: EventFacts,
  ): void {
    try {
      const candidate = this.provider.current();
      if (candidate === undefined) return;
      const answer = answerOf(candidate, clientId, event, facts);
      if (this.perRevision.revision !== candidate.revision)
        this.perRevision = { revision: candidate.revision, disagreements: 0, compared: 0 };
      this.perRevision.compared += 1;
      if (!answersDiffer(active, answer)) return;
      this.perRevision.disagreements += 1;
      this.total += 1;
      this.onDisagreement({
        decisionId,
        clientId,
        action: event.action,
        target: event.target,
        active,
        candidate: answer,
      });
    } catch {
      // The shadow must never affect the request: a failure here only loses one comparison.
    }
  }
}
