/**
 * The auditor's HTTP side: GETs against a gateway it does not trust, through the bounded
 * client (no redirects, headers and body capped while streaming, one deadline per request).
 * Every answer must be 200, and JSON answers are bounded in depth and size before parsing
 * and checked field by field before use.
 */
import { JCS_MAX_DEPTH } from '../audit/jcs.js';
import type { BoundedResponse } from '../client/http.js';
import { failureReason } from './render.js';
import { callServer } from './server-call.js';
import { HEX_32 } from '../protocol/grammar.js';

/** Largest answer read: a batch of 256 entries stays well below this. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Most JSON values in one answer: 256 entries of a few dozen values each fit many times.
 * Nesting may reach the entries' own limit (JCS_MAX_DEPTH) plus the answer's 3 levels. */
const MAX_JSON_TOKENS = 200_000;

/** A verification failure: the one line the CLI prints before exiting non-zero. */
export class AuditFailure extends Error {
  override readonly name = 'AuditFailure';
}

/** GETs `target` from the gateway at `base` with the API key; returns the 200 answer. */
async function get(base: string, target: string, apiKey: string): Promise<BoundedResponse> {
  let res: BoundedResponse;
  try {
    res = await callServer({
      base,
      target,
      headers: { 'x-api-key': apiKey },
      maxBodyBytes: MAX_RESPONSE_BYTES,
    });
  } catch (err) {
    throw new AuditFailure(`GET ${target}: ${failureReason(err)}`);
  }
  if (res.status !== 200) {
    let code: string | undefined;
    try {
      code = /"code"\s*:\s*"([a-z_]{1,40})"/.exec(res.text())?.[1];
    } catch {
      // not UTF-8: no code to show
    }
    throw new AuditFailure(`GET ${target} answered ${res.status}${code ? ` (${code})` : ''}`);
  }
  return res;
}

/** GETs `target`; returns the body as strict UTF-8 text. */
export async function getText(base: string, target: string, apiKey: string): Promise<string> {
  const res = await get(base, target, apiKey);
  try {
    return res.text();
  } catch (err) {
    throw new AuditFailure(`answer to ${target}: ${failureReason(err)}`);
  }
}

/** GETs `target` and parses it as a JSON object. */
export async function getJson(
  base: string,
  target: string,
  apiKey: string,
): Promise<Record<string, unknown>> {
  const res = await get(base, target, apiKey);
  let value: unknown;
  try {
    value = res.json({ maxTokens: MAX_JSON_TOKENS, maxDepth: JCS_MAX_DEPTH + 3 });
  } catch (err) {
    throw new AuditFailure(`answer to ${target}: ${failureReason(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuditFailure(`answer to ${target} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** A field that must be a non-negative safe integer. */
export function intField(o: Record<string, unknown>, name: string, where: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new AuditFailure(`${where}: ${name} is not a non-negative integer`);
  return v;
}

/** A field that must be 64 lowercase hex characters (a SHA-256 hash). */
export function hashField(o: Record<string, unknown>, name: string, where: string): Uint8Array {
  const v = o[name];
  if (typeof v !== 'string' || !HEX_32.test(v))
    throw new AuditFailure(`${where}: ${name} is not a 64-hex hash`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/** A field that must be an array of at most `max` hashes. */
export function proofField(o: Record<string, unknown>, where: string, max = 128): Uint8Array[] {
  const v = o['proof'];
  if (!Array.isArray(v) || v.length > max) throw new AuditFailure(`${where}: proof is malformed`);
  return v.map((_, i) => hashField(v as unknown as Record<string, unknown>, String(i), where));
}
