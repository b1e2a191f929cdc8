import { z } from 'zod';
import { ACTION, DIGEST_LABEL, ENVIRONMENT, TARGET } from '../protocol/grammar.js';

/** Maximum nesting depth of `metadata` (docs/protocol.md §3). */
export const METADATA_MAX_DEPTH = 8;

/** Keys that could reach an object prototype if some later code merged them naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Depth of a parsed JSON value (a scalar is 0, `{}` is 1), whether it contains a
 * forbidden key, and how many members its objects have in all. Iterative, so a hostile
 * nesting cannot overflow the stack.
 */
export function inspectJson(value: unknown): {
  depth: number;
  forbiddenKey: boolean;
  members: number;
} {
  let depth = 0;
  let forbiddenKey = false;
  let members = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    depth = Math.max(depth, d + 1);
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, d + 1]);
    } else {
      for (const [k, item] of Object.entries(v)) {
        if (FORBIDDEN_KEYS.has(k)) forbiddenKey = true;
        stack.push([item, d + 1]);
        members++;
      }
    }
  }
  return { depth, forbiddenKey, members };
}

const metadataSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const { depth, forbiddenKey } = inspectJson(value);
  if (depth > METADATA_MAX_DEPTH)
    ctx.addIssue({ code: 'custom', message: `nesting deeper than ${METADATA_MAX_DEPTH}` });
  if (forbiddenKey)
    ctx.addIssue({ code: 'custom', message: 'forbidden key (__proto__, constructor, prototype)' });
});

/** `POST /v1/events` body (docs/protocol.md §3). Strict: unknown fields are refused except in `metadata`. */
export const eventSchema = z
  .strictObject({
    action: z.string().regex(ACTION),
    target: z.string().regex(TARGET),
    steps: z
      .array(z.strictObject({ name: z.string().min(1).max(100), run: z.string().max(4096) }))
      .max(10_000),
    metadata: metadataSchema.optional(),
    deploy: z
      .strictObject({
        environment: z.string().regex(ENVIRONMENT),
        artifact: z.string().regex(DIGEST_LABEL),
      })
      .optional(),
  })
  .superRefine((event, ctx) => {
    if (event.action === 'deploy' && event.deploy === undefined)
      ctx.addIssue({ code: 'custom', path: ['deploy'], message: 'required when action is deploy' });
    if (event.action !== 'deploy' && event.deploy !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['deploy'],
        message: 'only allowed when action is deploy',
      });
  });

/** A validated event. */
export type GatewayEvent = z.infer<typeof eventSchema>;
