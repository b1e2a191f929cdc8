/**
 * The canonical (RFC 8785) text of a `decision` entry, written straight out in sorted-key
 * order. Every request appends one, and the generic `canonicalize` (key sort, recursion,
 * cycle set, parts array) plus `assertAuditEntry` cost several µs per entry (issue 19,
 * bench/README.md). A decision entry has a fixed key set, so its text needs none of that.
 *
 * It only ever accepts: an entry that is not exactly the shape `decisionEntry` builds
 * (members in that order, nothing else, plain values) gives `undefined` and the caller takes
 * the generic path, which serialises or refuses it. So every refusal stays the generic
 * path's, with its message, by construction; `test/audit/decision-text.test.ts` checks on
 * random valid and broken entries that the bytes and refusals equal the generic path's.
 */
import type { AuditEntry } from './audit-log.js';
import { ID, RFC3339_MS } from './entry.js';
import { quoteWellFormed } from './jcs.js';

/** The members `decisionEntry` always writes, in its insertion order. */
const REQUIRED = [
  'v',
  'type',
  'time',
  'id',
  'client',
  'action',
  'target',
  'decision',
  'reasons',
  'policy',
  'request',
] as const;

/** The optional members, in `decisionEntry`'s insertion order (each at most once). */
const OPTIONAL = [
  'nonce',
  'timestamp',
  'deploy',
  'approvers',
  'threshold',
  'expiresAt',
  'message',
] as const;

/** Every member in RFC 8785 order (UTF-16 code units), the order written below; tested. */
export const DECISION_KEYS_SORTED = [
  'action',
  'approvers',
  'client',
  'decision',
  'deploy',
  'expiresAt',
  'id',
  'message',
  'nonce',
  'policy',
  'reasons',
  'request',
  'target',
  'threshold',
  'time',
  'timestamp',
  'type',
  'v',
] as const;

/** Bit per optional member present (index in OPTIONAL). */
const NONCE = 1;
const TIMESTAMP = 2;
const DEPLOY = 4;
const APPROVERS = 8;
const THRESHOLD = 16;
const EXPIRES_AT = 32;
const MESSAGE = 64;

/**
 * The canonical JSON text of `entry` when it is a decision entry as `decisionEntry` builds
 * it (and would pass `assertAuditEntry` and `canonicalize`); `undefined` for anything else,
 * valid or not: the caller then runs the generic path. Never throws.
 */
export function decisionText(entry: AuditEntry): string | undefined {
  if (entry.v !== 1 || entry.type !== 'decision') return undefined;
  const proto: unknown = Object.getPrototypeOf(entry);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const present = optionalMembers(Object.keys(entry));
  if (present < 0 || Object.getOwnPropertySymbols(entry).length > 0) return undefined;
  const r = entry as Readonly<Record<string, unknown>>;
  // assertAuditEntry's checks; both grammars are ASCII without `"` or `\`, so no escaping.
  const time = r['time'];
  const id = r['id'];
  if (typeof time !== 'string' || !RFC3339_MS.test(time)) return undefined;
  if (typeof id !== 'string' || !ID.test(id)) return undefined;
  const action = str(r['action']);
  const client = str(r['client']);
  const decision = str(r['decision']);
  const policy = r['policy'] === null ? 'null' : str(r['policy']);
  const reasons = strArray(r['reasons']);
  const request = str(r['request']);
  const target = str(r['target']);
  if (
    action === undefined ||
    client === undefined ||
    decision === undefined ||
    policy === undefined ||
    reasons === undefined ||
    request === undefined ||
    target === undefined
  )
    return undefined;
  let out = `{"action":${action}`;
  if ((present & APPROVERS) !== 0) {
    const approvers = strArray(r['approvers']);
    if (approvers === undefined) return undefined;
    out += `,"approvers":${approvers}`;
  }
  out += `,"client":${client},"decision":${decision}`;
  if ((present & DEPLOY) !== 0) {
    const deploy = str(r['deploy']);
    if (deploy === undefined) return undefined;
    out += `,"deploy":${deploy}`;
  }
  if ((present & EXPIRES_AT) !== 0) {
    const expiresAt = str(r['expiresAt']);
    if (expiresAt === undefined) return undefined;
    out += `,"expiresAt":${expiresAt}`;
  }
  out += `,"id":"${id}"`;
  if ((present & MESSAGE) !== 0) {
    const message = str(r['message']);
    if (message === undefined) return undefined;
    out += `,"message":${message}`;
  }
  if ((present & NONCE) !== 0) {
    const nonce = str(r['nonce']);
    if (nonce === undefined) return undefined;
    out += `,"nonce":${nonce}`;
  }
  out += `,"policy":${policy},"reasons":${reasons},"request":${request},"target":${target}`;
  if ((present & THRESHOLD) !== 0) {
    const threshold = num(r['threshold']);
    if (threshold === undefined) return undefined;
    out += `,"threshold":${threshold}`;
  }
  out += `,"time":"${time}"`;
  if ((present & TIMESTAMP) !== 0) {
    const timestamp = num(r['timestamp']);
    if (timestamp === undefined) return undefined;
    out += `,"timestamp":${timestamp}`;
  }
  return `${out},"type":"decision","v":1}`;
}

/**
 * Which optional members `keys` holds, as bits, when `keys` is exactly REQUIRED followed by
 * some of OPTIONAL in order; -1 otherwise (another order, an unknown or repeated member).
 */
function optionalMembers(keys: readonly string[]): number {
  if (keys.length < REQUIRED.length || keys.length > REQUIRED.length + OPTIONAL.length) return -1;
  for (let i = 0; i < REQUIRED.length; i++) if (keys[i] !== REQUIRED[i]) return -1;
  let bits = 0;
  let next = 0;
  for (let i = REQUIRED.length; i < keys.length; i++) {
    while (next < OPTIONAL.length && OPTIONAL[next] !== keys[i]) next++;
    if (next === OPTIONAL.length) return -1;
    bits |= 1 << next;
    next++;
  }
  return bits;
}

/** A JSON string as `serializeString` (jcs.ts) writes it; undefined where it would refuse. */
function str(v: unknown): string | undefined {
  if (typeof v !== 'string' || !(v as unknown as WellFormed).isWellFormed()) return undefined;
  return quoteWellFormed(v);
}

/** A number as `serializeNumber` writes it (`String`, so -0 is "0"); undefined if not finite. */
function num(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

/** An array of strings as canonicalize writes it; undefined for anything else. */
function strArray(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const a = v as readonly unknown[];
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    const s = str(a[i]);
    if (s === undefined) return undefined;
    out += i === 0 ? s : `,${s}`;
  }
  return `${out}]`;
}

/** `String.prototype.isWellFormed` (Node 20; the ES2024 lib is not in this project's tsconfig). */
interface WellFormed {
  isWellFormed(): boolean;
}
