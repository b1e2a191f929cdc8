/**
 * The auditor's HTTP side: bounded GETs against a gateway it does not trust. Every answer
 * is size-limited, must be 200, and JSON answers are checked field by field before use.
 */

/** Largest answer read: a batch of 256 entries stays well below this. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

/** A verification failure: the one line the CLI prints before exiting non-zero. */
export class AuditFailure extends Error {
  override readonly name = 'AuditFailure';
}

/** GETs `target` from the gateway at `base` with the API key; returns the body text. */
export async function getText(base: string, target: string, apiKey: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(new URL(target, base), {
      headers: { 'x-api-key': apiKey },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new AuditFailure(`cannot reach ${base}: ${(err as Error).message}`);
  }
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_BYTES) throw new AuditFailure(`answer to ${target} is too large`);
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new AuditFailure(`answer to ${target} is too large`);
  if (res.status !== 200) {
    const code = /"code"\s*:\s*"([a-z_]{1,40})"/.exec(text)?.[1];
    throw new AuditFailure(`GET ${target} answered ${res.status}${code ? ` (${code})` : ''}`);
  }
  return text;
}

/** GETs `target` and parses it as a JSON object. */
export async function getJson(
  base: string,
  target: string,
  apiKey: string,
): Promise<Record<string, unknown>> {
  const text = await getText(base, target, apiKey);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuditFailure(`answer to ${target} is not JSON`);
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
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
    throw new AuditFailure(`${where}: ${name} is not a 64-hex hash`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/** A field that must be an array of at most `max` hashes. */
export function proofField(o: Record<string, unknown>, where: string, max = 128): Uint8Array[] {
  const v = o['proof'];
  if (!Array.isArray(v) || v.length > max) throw new AuditFailure(`${where}: proof is malformed`);
  return v.map((_, i) => hashField(v as unknown as Record<string, unknown>, String(i), where));
}
