import type { GatewayEvent } from '../events/event-schema.js';
import type { EventFacts, PolicyVerdict } from './active-policy.js';
import type { EmojiMatcher } from './emoji.js';
import { foldForPatterns } from './normalize.js';
import { shellView } from './shell-view.js';
import type { PatternSet } from './regex/pattern-set.js';

/** What one client may do. */
export interface ClientRule {
  readonly actions: ReadonlySet<string>;
  readonly ratePerMinute: number | undefined;
}

/** The compiled, immutable rules of one revision. */
export interface CompiledRules {
  readonly maxSteps: number;
  readonly clients: ReadonlyMap<string, ClientRule>;
  /** `[prefix, rule]`, longest prefix first; empty outside development mode. */
  readonly wildcards: readonly (readonly [string, ClientRule])[];
  readonly patternNames: readonly string[];
  readonly patterns: PatternSet;
  readonly emoji: EmojiMatcher;
}

/**
 * Bound on the folded text examined per event, in UTF-16 code units. A 256 KiB body has
 * at most 256 Ki characters, but NFKC can expand one character up to 18-fold; beyond this
 * bound the event is denied (`evaluation_limit`) rather than examined partially.
 */
export const MAX_EVALUATED_CHARS = 4 * 1024 * 1024;

/**
 * Work (NFA nodes visited while building automaton states) one evaluation may spend. The
 * automaton is complete after load, so evaluation normally spends none; should it ever
 * need to build states (a flushed cache), the event is denied (`evaluation_budget`) once
 * this is spent rather than let one request hold the event loop.
 */
export const EVALUATION_WORK_BUDGET = 1_000_000;

/** The fold of a printable-ASCII string: what `foldForPatterns` returns for one. */
const lowerCaseOnly = (text: string): string => text.toLowerCase();

const DENY_ON_ERROR: PolicyVerdict = Object.freeze({
  decision: 'deny',
  reasons: Object.freeze(['evaluation_error']),
});

/**
 * Decides one event. Pure and total: any exception becomes a deny with reason
 * `evaluation_error` (fail closed). Reasons come in a fixed order: `action_not_allowed`,
 * `max_steps`, `deny_pattern:<name>` in policy order, `deny_emoji`, then `evaluation_limit` or
 * `evaluation_budget`.
 */
export function evaluateEvent(
  rules: CompiledRules,
  client: ClientRule | undefined,
  event: GatewayEvent,
  facts?: EventFacts,
): PolicyVerdict {
  try {
    const reasons: string[] = [];
    if (client === undefined || !client.actions.has(event.action))
      reasons.push('action_not_allowed');
    if (event.steps.length > rules.maxSteps) reasons.push('max_steps');
    reasons.push(
      ...contentReasons(
        rules,
        event,
        facts?.printableAscii === true ? lowerCaseOnly : foldForPatterns,
      ),
    );
    return Object.freeze({
      decision: reasons.length === 0 ? 'allow' : 'deny',
      reasons: Object.freeze(reasons),
    });
  } catch {
    return DENY_ON_ERROR;
  }
}

function contentReasons(
  rules: CompiledRules,
  event: GatewayEvent,
  fold: (text: string) => string,
): string[] {
  const found = new Uint8Array(rules.patternNames.length);
  const budget = { work: EVALUATION_WORK_BUDGET };
  let emoji = false;
  let chars = MAX_EVALUATED_CHARS;
  const stop = (reason: string): string[] => [
    ...patternReasons(rules, found),
    ...(emoji ? ['deny_emoji'] : []),
    reason,
  ];
  // The texts are folded first and scanned together (one prefilter pass over all of them,
  // pattern-set.ts); past the size bound, what was folded is still scanned, so the reasons
  // name every pattern found before the bound, as when each text was scanned in turn.
  const texts: string[] = [];
  const scanned = (reason: string): string[] =>
    rules.patterns.scan(texts, found, budget) ? stop(reason) : stop('evaluation_budget');
  for (const text of eventStrings(event)) {
    const folded = fold(text);
    chars -= folded.length;
    if (chars < 0) return scanned('evaluation_limit');
    texts.push(folded);
    if (!emoji) emoji = rules.emoji.matches(text);
  }
  // Commands are also matched in their shell-aware view (quotes, escapes, $IFS, paths).
  for (const step of event.steps) {
    const folded = fold(step.run);
    const view = shellView(folded);
    if (view === folded) continue;
    chars -= view.length;
    if (chars < 0) return scanned('evaluation_limit');
    texts.push(view);
  }
  if (!rules.patterns.scan(texts, found, budget)) return stop('evaluation_budget');
  return [...patternReasons(rules, found), ...(emoji ? ['deny_emoji'] : [])];
}

function patternReasons(rules: CompiledRules, found: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < found.length; i++)
    if (found[i] === 1) out.push(`deny_pattern:${rules.patternNames[i]!}`);
  return out;
}

/**
 * Every string of the event: action, target, step names and commands, deploy fields,
 * metadata keys and string values at any depth. Iterative (metadata depth is bounded by
 * the event schema, but a stack walk costs nothing and cannot overflow).
 */
export function* eventStrings(event: GatewayEvent): Generator<string> {
  yield event.action;
  yield event.target;
  for (const step of event.steps) {
    yield step.name;
    yield step.run;
  }
  if (event.deploy !== undefined) {
    yield event.deploy.environment;
    yield event.deploy.artifact;
  }
  const stack: unknown[] = event.metadata === undefined ? [] : [event.metadata];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') yield v;
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) {
        yield k;
        stack.push(item);
      }
  }
}
