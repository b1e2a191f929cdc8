import { ACTION, DIGEST_LABEL, ENVIRONMENT, TARGET } from '../protocol/grammar.js';
import { type GatewayEvent, METADATA_MAX_DEPTH, inspectJson } from './event-schema.js';

/**
 * The event schema (`eventSchema`, docs/protocol.md §3) specialised by hand for the request
 * path (issue 19): zod walks a generic schema tree per request; this checks the same rules
 * in straight-line code. It only ever *accepts*: any value it is not certain about — every
 * invalid event, and anything unusual such as a non-plain object — goes to zod, so the
 * refusal (its JSON path and message, which the API returns) is zod's by construction.
 * `test/events/event-validator.test.ts` checks on random, hostile and boundary inputs that
 * what this accepts zod accepts with the same output, and that `parseEvent` answers
 * exactly what `eventSchema.safeParse` answers.
 */
export function acceptEvent(value: unknown): GatewayEvent | undefined {
  if (!isPlainObject(value)) return undefined;
  let keys = 0;
  for (const k in value) {
    if (k !== 'action' && k !== 'target' && k !== 'steps' && k !== 'metadata' && k !== 'deploy')
      return undefined;
    keys++;
  }
  if (Object.getOwnPropertyNames(value).length !== keys || hasSymbols(value)) return undefined;
  const { action, target, steps, metadata, deploy } = value;
  if (typeof action !== 'string' || !ACTION.test(action)) return undefined;
  if (typeof target !== 'string' || !TARGET.test(target)) return undefined;
  if (!Array.isArray(steps) || steps.length > 10_000) return undefined;
  const outSteps: { name: string; run: string }[] = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    const step: unknown = steps[i];
    if (!isPlainObject(step) || !hasExactly2(step, 'name', 'run')) return undefined;
    const { name, run } = step;
    if (typeof name !== 'string' || name.length < 1 || name.length > 100) return undefined;
    if (typeof run !== 'string' || run.length > 4096) return undefined;
    outSteps[i] = { name, run };
  }
  const out: GatewayEvent = { action, target, steps: outSteps };
  if ('metadata' in value) {
    if (!isPlainObject(metadata) || hasSymbols(metadata)) return undefined;
    const shape = inspectJson(metadata);
    if (shape.depth > METADATA_MAX_DEPTH || shape.forbiddenKey) return undefined;
    out.metadata = { ...metadata };
  }
  if ('deploy' in value) {
    if (!isPlainObject(deploy) || !hasExactly2(deploy, 'environment', 'artifact')) return undefined;
    const { environment, artifact } = deploy;
    if (typeof environment !== 'string' || !ENVIRONMENT.test(environment)) return undefined;
    if (typeof artifact !== 'string' || !DIGEST_LABEL.test(artifact)) return undefined;
    out.deploy = { environment, artifact };
  }
  // The schema's cross-field rule: `deploy` exactly when the action is deploy.
  if ((action === 'deploy') !== (out.deploy !== undefined)) return undefined;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return Object.getPrototypeOf(v) === Object.prototype;
}

function hasSymbols(o: object): boolean {
  return Object.getOwnPropertySymbols(o).length > 0;
}

/** True when `o`'s own enumerable keys are exactly `a` and `b`, and nothing else at all. */
function hasExactly2(o: Record<string, unknown>, a: string, b: string): boolean {
  let n = 0;
  for (const k in o) {
    if (k !== a && k !== b) return false;
    n++;
  }
  return n === 2 && Object.getOwnPropertyNames(o).length === 2 && !hasSymbols(o);
}
