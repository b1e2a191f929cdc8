import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import { inspectJson } from '../events/event-schema.js';
import { MAX_BODY_DEPTH, countKeyTokens, findDuplicateKey } from '../json/duplicate-keys.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/** True for `application/json` with optional parameters (e.g. `; charset=utf-8`). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  // What nearly every sender writes; the parse below gives the same answer for it.
  if (value === 'application/json') return true;
  const [type = '', ...params] = value.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  // A declared charset other than UTF-8 would change what the bytes mean: refuse it.
  return params.every((p) => {
    const [k = '', v = ''] = p.split('=').map((s) => s.trim().toLowerCase());
    return k !== 'charset' || v === 'utf-8' || v === '"utf-8"';
  });
}

/**
 * docs/protocol.md §2 check 7: the body is strict UTF-8 JSON of `schema`'s shape, nested at most
 * `MAX_BODY_DEPTH` deep, with no object key twice in one object (§16). Throws 415
 * `unsupported_media_type` or 400 `invalid_body` with a short detail (a JSON path and the
 * rule, never the offending value).
 */
export function parseJsonBody<S extends z.ZodType>(
  schema: S,
  contentType: string | undefined,
  body: Buffer,
  /**
   * A specialised validator of the same schema that only ever accepts (e.g. `acceptEvent`):
   * its value is returned when it has one; otherwise `schema` decides, so every refusal
   * and its detail stay zod's.
   */
  accept?: (json: unknown) => z.infer<S> | undefined,
): z.infer<S> {
  if (!isJsonContentType(contentType)) {
    throw new GatewayError('unsupported_media_type', {
      detail: 'Content-Type must be application/json',
    });
  }
  let text: string;
  try {
    text = decodeStrictUtf8(body);
  } catch {
    throw new GatewayError('invalid_body', { detail: 'body is not valid UTF-8' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_body', { detail: 'body is not valid JSON' });
  }
  // The depth bound comes first: the duplicate scan recurses once per nesting level.
  const shape = inspectJson(json);
  if (shape.depth > MAX_BODY_DEPTH)
    throw new GatewayError('invalid_body', { detail: `body nested deeper than ${MAX_BODY_DEPTH}` });
  // As many keys in the text as members in the parsed objects: no object lost one to a
  // duplicate, so the full scan (which names the duplicate's path) is needed only otherwise.
  const duplicate = countKeyTokens(text) === shape.members ? undefined : findDuplicateKey(text);
  if (duplicate !== undefined)
    throw new GatewayError('invalid_body', { detail: `${duplicate}: duplicate object key` });
  const fast = accept?.(json);
  if (fast !== undefined) return fast;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
    throw new GatewayError('invalid_body', { detail: `${where}: ${issue?.message ?? 'invalid'}` });
  }
  return parsed.data;
}
