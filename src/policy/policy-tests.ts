import { z } from 'zod';
import { eventSchema, inspectJson, type GatewayEvent } from '../events/event-schema.js';
import { MAX_BODY_DEPTH, findDuplicateKey } from '../json/duplicate-keys.js';
import type { ActivePolicy } from './active-policy.js';
import { jsonPath } from './json-path.js';
import { answerOf, type PolicyAnswer } from './verdict.js';

/**
 * Policy fixtures (docs/protocol.md §13): `{ "tests": [{ "name", "client", "event", "expect":
 * { "decision", "reasons"? } }] }`. Pure: parsing and running take text and a compiled
 * policy; `codex-gateway policy test` (src/cli/policy-test.ts) reads the files.
 */

/** Largest fixture file read, in bytes (a fixture is written by hand; this is generous). */
export const MAX_FIXTURE_FILE_BYTES = 8 * 1024 * 1024;
/** Most tests in one file. */
export const MAX_TESTS_PER_FILE = 10_000;

const expectSchema = z.strictObject({
  decision: z.enum(['allow', 'deny', 'pending']),
  /** When given, the reasons must equal these exactly (same rules, same order). */
  reasons: z.array(z.string().max(200)).max(300).optional(),
});

const fixtureFileSchema = z.strictObject({
  /** Free text for the reader; ignored. */
  description: z.string().max(10_000).optional(),
  tests: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(200),
        client: z.string().min(1).max(200),
        event: eventSchema,
        expect: expectSchema,
      }),
    )
    .max(MAX_TESTS_PER_FILE),
});

/** One test case of a fixture file. */
export interface PolicyTestCase {
  readonly name: string;
  readonly client: string;
  readonly event: GatewayEvent;
  readonly expect: {
    readonly decision: PolicyAnswer['decision'];
    readonly reasons?: readonly string[] | undefined;
  };
}

export type FixtureParse =
  | { readonly ok: true; readonly tests: readonly PolicyTestCase[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Parses one fixture file's text with the same rules as an event body (strict shape, no
 * duplicate key at any depth, bounded depth), so a fixture's event is exactly one the
 * server would accept. Every problem is `json.path: message`.
 */
export function parseFixtureFile(text: string): FixtureParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`(root): not valid JSON: ${(err as Error).message}`] };
  }
  if (inspectJson(json).depth > MAX_BODY_DEPTH)
    return { ok: false, problems: [`(root): nested deeper than ${MAX_BODY_DEPTH}`] };
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return { ok: false, problems: [`${duplicate}: duplicate key`] };
  const parsed = fixtureFileSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 20).map((i) => `${jsonPath(i.path)}: ${i.message}`),
    };
  return { ok: true, tests: parsed.data.tests };
}

/** The outcome of one test case. */
export interface PolicyTestResult {
  readonly test: PolicyTestCase;
  readonly got: PolicyAnswer;
  readonly passed: boolean;
}

/**
 * Runs one case: it passes when the decision is the expected one and, if the fixture lists
 * reasons, the reasons are exactly those (same rules, same order).
 */
export function runPolicyTest(policy: ActivePolicy, test: PolicyTestCase): PolicyTestResult {
  const got = answerOf(policy, test.client, test.event);
  const reasons = test.expect.reasons;
  const passed =
    got.decision === test.expect.decision &&
    (reasons === undefined ||
      (reasons.length === got.reasons.length && reasons.every((r, i) => r === got.reasons[i])));
  return { test, got, passed };
}

/** `deny [a, b]`, or `deny (any reasons)` for an expectation that names none. */
export function describeAnswer(decision: string, reasons: readonly string[] | undefined): string {
  return reasons === undefined
    ? `${decision} (any reasons)`
    : `${decision} [${reasons.join(', ')}]`;
}
