import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ActivePolicy } from '../../src/policy/active-policy.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { GatewayEvent } from '../../src/events/event-schema.js';
import { repoRoot } from '../helpers/paths.js';

/** Path of the shipped default policy. */
export const SHIPPED_POLICY = path.join(repoRoot, 'policy/policy.json');

/** The shipped default policy, parsed as JSON (for tests that derive variants of it). */
export function shippedPolicyJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(SHIPPED_POLICY, 'utf8')) as Record<string, unknown>;
}

/** Compiles a policy given as a JS value (or raw text); throws with all errors if invalid. */
export function compileOrThrow(doc: unknown, devMode = false): ActivePolicy {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const result = compilePolicy(new TextEncoder().encode(text), {
    devMode,
    activatedAt: '2026-11-21T20:00:00.000Z',
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.policy;
}

/** The compiled error list of an invalid policy (fails the test if it is valid). */
export function compileErrors(doc: unknown): readonly string[] {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const result = compilePolicy(new TextEncoder().encode(text), {
    devMode: false,
    activatedAt: '2026-11-21T20:00:00.000Z',
  });
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}

/** A `build` event whose single step runs `run`. */
export function buildEvent(run: string, extra: Partial<GatewayEvent> = {}): GatewayEvent {
  return { action: 'build', target: 'acme/web', steps: [{ name: 'step', run }], ...extra };
}
