import type { Clock } from '../clock.js';
import type { ClaimedDelivery, Settlement } from './delivery.js';
import {
  noopDeliveryObserver,
  type AttemptLabel,
  type DeliveryObserver,
} from './delivery-observer.js';
import { TargetSender, type AttemptResult } from './http-sender.js';
import type { Outbox } from './outbox.js';
import {
  afterFailure,
  checkSchedule,
  CONTRACT_SCHEDULE,
  parseRetryAfter,
  type RetrySchedule,
} from './retry-schedule.js';
import type { TargetRegistry } from './targets.js';
import { webhookHeaders } from './webhook-signature.js';

/** A final outcome, handed to the auditor before the outbox records it. */
export interface FinalOutcome {
  readonly id: string;
  readonly target: string;
  readonly decision: string;
  readonly outcome: 'delivered' | 'dead';
  readonly attempts: number;
  readonly status: number | null;
  readonly nowMs: number;
}

export interface DispatcherOptions {
  readonly outbox: Outbox;
  readonly targets: TargetRegistry;
  readonly clock: Clock;
  /** Appends the `delivery` audit entry of a final outcome (docs/protocol.md §11); rejects if it could not. */
  readonly audit: (outcome: FinalOutcome) => Promise<unknown>;
  /** Default: the contract's (5 s first retry bound, 10 min cap, 30 tries, 24 h). */
  readonly schedule?: RetrySchedule;
  /** Uniform in [0, 1); default Math.random (jitter needs no secrecy). */
  readonly random?: () => number;
  /** Whole-attempt deadline, ms (contract: 10 000). */
  readonly timeoutMs?: number;
  /** Concurrent attempts per target in this process (default 4). */
  readonly perTarget?: number;
  /** Concurrent attempts in total in this process (default 32). */
  readonly total?: number;
  /** How often due deliveries are looked for when nothing wakes the dispatcher, ms (default 500). */
  readonly pollMs?: number;
  /**
   * While a target is unavailable, how often one of its deliveries never tried goes out as
   * a probe, ms (default 1000).
   */
  readonly probeMs?: number;
  readonly observer?: DeliveryObserver;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;
}

/**
 * Sends owed deliveries in the background, off the request path: claims due deliveries
 * (leases) within the concurrency bounds, signs and POSTs each, and settles it by the
 * retry schedule. Each target has its own connection pool and in-flight bound, so a slow
 * or dead target only ever occupies its own share (`perTarget`) of the `total` slots;
 * the request path only enqueues and never waits for a send.
 *
 * A target is unavailable from an attempt that found it down (no connection, no answer in
 * time, or 429/502/503/504) until one of its attempts gets any other answer. Meanwhile its
 * deliveries already tried keep their retry schedule, but of those never tried only one
 * goes out per `probeMs`, as a probe: a target that is down would otherwise be tried once
 * for every event, at the gateway's own rate, each try a connection and a journaled
 * outcome (bench/README.md measured that cost). The others wait, untried, and go out
 * as soon as the target answers again. A 429 or 503 with `Retry-After` holds them (no
 * probe) until that time has passed, up to the schedule's cap.
 */
export class DeliveryDispatcher {
  readonly #o: Required<Omit<DispatcherOptions, 'log'>> & Pick<DispatcherOptions, 'log'>;
  readonly #senders = new Map<string, TargetSender>();
  readonly #inflight = new Map<string, number>();
  /** Unavailable targets: when the next probe may go out (clock ms). */
  readonly #probeAt = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  #total = 0;
  #rotation = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #again = false;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#o = {
      schedule: CONTRACT_SCHEDULE,
      random: Math.random,
      timeoutMs: 10_000,
      perTarget: 4,
      total: 32,
      pollMs: 500,
      probeMs: 1_000,
      observer: noopDeliveryObserver,
      ...options,
    };
    checkSchedule(this.#o.schedule);
    for (const [name, v] of [
      ['timeoutMs', this.#o.timeoutMs],
      ['perTarget', this.#o.perTarget],
      ['total', this.#o.total],
      ['pollMs', this.#o.pollMs],
      ['probeMs', this.#o.probeMs],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`${name} must be a positive integer`);
    }
    for (const t of this.#o.targets.all) {
      this.#senders.set(
        t.id,
        new TargetSender(t.url, { maxSockets: this.#o.perTarget, timeoutMs: this.#o.timeoutMs }),
      );
      this.#inflight.set(t.id, 0);
    }
  }

  /** Starts polling (no-op without targets). */
  start(): void {
    if (this.#closed || this.#senders.size === 0 || this.#timer !== undefined) return;
    const poll = (): void => {
      this.kick();
      this.#timer = setTimeout(poll, this.#o.pollMs);
      this.#timer.unref();
    };
    poll();
  }

  /** Looks for due deliveries now (called after an enqueue, and when a send frees a slot). */
  kick(): void {
    if (this.#closed || this.#senders.size === 0) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    void this.#tick().finally(() => {
      this.#ticking = false;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Attempts in flight in this process. */
  get inFlight(): number {
    return this.#total;
  }

  /**
   * Stops claiming and waits up to `graceMs` for attempts in flight; any still running are
   * abandoned (their leases expire and they are sent again: at least once).
   */
  async close(graceMs = this.#o.timeoutMs): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const all = Promise.allSettled([...this.#running]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const s of this.#senders.values()) s.close();
  }

  async #tick(): Promise<void> {
    const free = this.#o.total - this.#total;
    if (free <= 0) return;
    // Every target with room is asked for; the total bound is applied by the outbox in this
    // order, which rotates each tick, so no target is always last in line.
    const ids = [...this.#inflight.keys()];
    this.#rotation = (this.#rotation + 1) % ids.length;
    const limits = new Map<string, number>();
    const untriedLimits = new Map<string, number>();
    const nowMs = this.#o.clock.nowMs();
    for (const id of [...ids.slice(this.#rotation), ...ids.slice(0, this.#rotation)]) {
      const room = this.#o.perTarget - (this.#inflight.get(id) ?? 0);
      if (room <= 0) continue;
      limits.set(id, room);
      const probeAt = this.#probeAt.get(id);
      if (probeAt !== undefined) untriedLimits.set(id, nowMs >= probeAt ? 1 : 0);
    }
    if (limits.size === 0) return;
    let claims: ClaimedDelivery[];
    try {
      claims = await this.#o.outbox.claim(nowMs, limits, free, untriedLimits);
    } catch (err) {
      this.#o.log?.('warn', 'delivery outbox unavailable; will retry', { err: errText(err) });
      return;
    }
    for (const claim of claims) {
      const expired = this.#expired(claim, nowMs);
      // A probe went out: the next one waits its turn, whatever this one's answer.
      // (One held past its window is not sent, so it does not use up the probe's turn.)
      if (claim.attempts === 0 && this.#probeAt.has(claim.target) && !expired)
        this.#probeAt.set(claim.target, nowMs + this.#o.probeMs);
      if (this.#closed) break; // leased but not sent: the lease expires, another takes it
      const sender = this.#senders.get(claim.target);
      if (sender === undefined) continue;
      this.#inflight.set(claim.target, (this.#inflight.get(claim.target) ?? 0) + 1);
      this.#total += 1;
      const run = this.#attempt(claim, sender, expired).finally(() => {
        this.#inflight.set(claim.target, (this.#inflight.get(claim.target) ?? 1) - 1);
        this.#total -= 1;
        this.#running.delete(run);
        this.kick();
      });
      this.#running.add(run);
    }
  }

  /** `expired`: held untried while its target was down until its 24 h window ended. */
  async #attempt(claim: ClaimedDelivery, sender: TargetSender, expired: boolean): Promise<void> {
    const target = this.#o.targets.byId(claim.target);
    if (target === undefined) return;
    let settlement: Settlement;
    let nowMs = this.#o.clock.nowMs();
    if (expired) {
      settlement = { state: 'dead', attempts: 0, status: null }; // dead, unsent
    } else {
      const started = performance.now();
      const result = await sender.post(
        webhookHeaders(target.keys, claim.id, Math.floor(nowMs / 1000), claim.body),
        claim.body,
      );
      this.#o.observer.attempt(label(result), (performance.now() - started) / 1000);
      nowMs = this.#o.clock.nowMs();
      const hint = retryAfterHint(result, nowMs);
      this.#availability(claim.target, result, hint, nowMs);
      settlement = this.#settlement(claim, result, hint, nowMs);
    }
    if (settlement.state !== 'pending') {
      try {
        await this.#o.audit({
          id: claim.id,
          target: claim.target,
          decision: claim.decision,
          outcome: settlement.state,
          attempts: settlement.attempts,
          status: settlement.status,
          nowMs,
        });
      } catch (err) {
        // The outcome cannot be audited: do not record it as final. The delivery stays
        // pending and is attempted again later (the receiver dedupes by webhook-id).
        this.#o.log?.('error', 'delivery outcome not audited; will try again', {
          id: claim.id,
          err: errText(err),
        });
        settlement = {
          state: 'pending',
          attempts: settlement.attempts,
          status: settlement.status,
          nextAttemptAtMs: nowMs + this.#o.schedule.baseMs,
        };
      }
    }
    try {
      const kept = await this.#o.outbox.settle(claim, settlement, nowMs);
      if (kept && settlement.state !== 'pending') this.#o.observer.outcome(settlement.state);
      if (!kept) this.#o.log?.('warn', 'delivery lease lost before settling', { id: claim.id });
    } catch (err) {
      // Unsettled: the lease expires and the delivery is attempted again (at least once).
      this.#o.log?.('warn', 'delivery outcome not recorded; will be sent again', {
        id: claim.id,
        err: errText(err),
      });
    }
  }

  /** A delivery never tried whose retry window has ended (it was held while its target was down). */
  #expired(claim: ClaimedDelivery, nowMs: number): boolean {
    return claim.attempts === 0 && nowMs >= claim.windowStartMs + this.#o.schedule.maxAgeMs;
  }

  /**
   * Marks `target` unavailable after an attempt that found it down, available after any
   * other answer. `hint`: the answer's Retry-After (ms), if any.
   */
  #availability(
    target: string,
    result: AttemptResult,
    hint: number | undefined,
    nowMs: number,
  ): void {
    if (foundDown(result)) {
      // A Retry-After asks the whole target for a pause: no probe before it ends (at most
      // the schedule's cap, since the receiver sets it).
      const pause = Math.min(hint ?? 0, this.#o.schedule.capMs);
      const probeAt = nowMs + Math.max(this.#o.probeMs, pause);
      const heldUntil = this.#probeAt.get(target);
      if (heldUntil !== undefined) {
        // Already held: probes keep their own pace, unless the target asked for longer.
        if (hint !== undefined && probeAt > heldUntil) this.#probeAt.set(target, probeAt);
        return;
      }
      this.#probeAt.set(target, probeAt);
      this.#o.observer.targetAvailability(target, false);
      this.#o.log?.('warn', 'delivery target unavailable; holding its new deliveries', {
        target,
        result: label(result),
        ...(hint === undefined ? {} : { retryAfterMs: pause }),
      });
    } else if (this.#probeAt.delete(target)) {
      this.#o.observer.targetAvailability(target, true);
      this.#o.log?.('info', 'delivery target available again', { target });
    }
  }

  #settlement(
    claim: ClaimedDelivery,
    result: AttemptResult,
    hint: number | undefined,
    nowMs: number,
  ): Settlement {
    const attempts = claim.attempts + 1;
    if (result.kind === 'answer' && result.status >= 200 && result.status <= 299)
      return { state: 'delivered', attempts, status: result.status };
    const status = result.kind === 'answer' ? result.status : null;
    const next = afterFailure(
      this.#o.schedule,
      {
        attempts,
        nowMs,
        windowStartMs: claim.windowStartMs,
        ...(hint === undefined ? {} : { retryAfterMs: hint }),
      },
      this.#o.random,
    );
    return next.state === 'dead'
      ? { state: 'dead', attempts, status }
      : { state: 'pending', attempts, status, nextAttemptAtMs: next.nextAttemptAtMs };
  }
}

/** Answers that say the target cannot take deliveries now (not about one delivery). */
const DOWN_STATUSES = new Set([429, 502, 503, 504]);

/** No connection, no answer in time, or one of DOWN_STATUSES. */
function foundDown(r: AttemptResult): boolean {
  return r.kind !== 'answer' || DOWN_STATUSES.has(r.status);
}

/** The answer's Retry-After, ms, where HTTP gives it that meaning for a retry (429, 503). */
function retryAfterHint(r: AttemptResult, nowMs: number): number | undefined {
  return r.kind === 'answer' && (r.status === 429 || r.status === 503)
    ? parseRetryAfter(r.retryAfter, nowMs)
    : undefined;
}

function label(r: AttemptResult): AttemptLabel {
  if (r.kind === 'timeout') return 'timeout';
  if (r.kind === 'network') return 'network';
  return r.status >= 200 && r.status <= 299 ? 'success' : 'http_error';
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
