import type { AuditEntry } from './audit-log.js';
import { DIGEST_LABEL, HEX_64 as HEX_SIGNATURE } from '../protocol/grammar.js';

/**
 * Builders for the kinds of audit entry (docs/protocol.md §6, §11). Each takes only typed,
 * named fields and copies exactly those, so a raw request body, a header or a secret can
 * never ride along into the permanent, public log. Inputs are checked here as well because
 * an entry, once appended, can never be corrected.
 */

/** An entry's `time` (and `expiresAt`): RFC 3339 UTC with milliseconds, ASCII only. */
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** An entry's `id` (and other ids): ASCII letters, digits and `._:-`, 1..128 of them. */
export const ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** An armored SSH signature as the verifier accepted it (base64 lines, at most 2048 chars). */
const SSH_SIGNATURE =
  /^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]{1,1990}\n-----END SSH SIGNATURE-----\n$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const MAX_TEXT = 512;

/** ECMAScript's largest time value (±10^8 days): beyond it `toISOString` throws. */
const MAX_TIME_MS = 8.64e15;
/** The second `auditTime` formatted last, and its text up to and including the `.`. */
let lastSecond = Number.NaN;
let lastPrefix = '';

/**
 * RFC 3339 UTC time with milliseconds for a unix-milliseconds instant: exactly
 * `new Date(nowMs).toISOString()` (which throws RangeError for an invalid time). Every
 * request's entry needs one and `toISOString` costs ~0.6 µs, so the text of the last second
 * is kept (an immutable string of a pure function) and only the milliseconds are appended;
 * `test/audit/entry.test.ts` compares it with `toISOString` on random instants.
 */
export function auditTime(nowMs: number): string {
  if (!Number.isSafeInteger(nowMs) || Math.abs(nowMs) > MAX_TIME_MS)
    return new Date(nowMs).toISOString();
  const second = Math.floor(nowMs / 1000);
  if (second !== lastSecond) {
    // Always `….mmmZ`, also for extended years: drop the `mmmZ`.
    const iso = new Date(second * 1000).toISOString();
    lastPrefix = iso.slice(0, -4);
    lastSecond = second;
  }
  const ms = nowMs - second * 1000;
  return `${lastPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

export interface DecisionEntryInput {
  readonly nowMs: number;
  /** The decision id returned to the client. */
  readonly id: string;
  readonly client: string;
  readonly action: string;
  readonly target: string;
  readonly decision: 'allow' | 'deny' | 'pending';
  readonly reasons: readonly string[];
  /** Active policy revision, `sha256:<hex>`; null when no valid policy was ever loaded (deny). */
  readonly policy: string | null;
  /** `sha256:<hex>` of the raw request body. */
  readonly request: string;
  /**
   * Signed events: `sha256:<hex>` of `client\nnonce` and the request's unix-seconds
   * timestamp, so the nonces of the current window can be recovered after a restart
   * (replay/recover-nonces.ts). The digest hides the nonce; neither is a secret.
   */
  readonly nonce?: string | undefined;
  readonly timestamp?: number | undefined;
  /** Deploy events needing a quorum: the deploy id (and, below, its quorum terms). */
  readonly deploy?: string;
  /** Quorum approvers: the eligible ones on `pending`, the counted ones on the closing `allow`. */
  readonly approvers?: readonly string[];
  readonly threshold?: number;
  /** RFC 3339 expiry of the pending deploy. */
  readonly expiresAt?: string;
  /** `sha256:<hex>` of the approval message approvers must sign. */
  readonly message?: string;
}

/** A `decision` entry (docs/protocol.md §6 lists its mandatory fields). */
export function decisionEntry(input: DecisionEntryInput): AuditEntry {
  const entry: Record<string, unknown> = {
    v: 1,
    type: 'decision',
    time: auditTime(input.nowMs),
    id: id(input.id, 'id'),
    client: text(input.client, 'client'),
    action: text(input.action, 'action'),
    target: text(input.target, 'target'),
    decision: oneOf(input.decision, ['allow', 'deny', 'pending'], 'decision'),
    reasons: input.reasons.map((r) => text(r, 'reasons[]')),
    policy: input.policy === null ? null : digest(input.policy, 'policy'),
    request: digest(input.request, 'request'),
  };
  if (input.nonce !== undefined) entry['nonce'] = digest(input.nonce, 'nonce');
  if (input.timestamp !== undefined) entry['timestamp'] = count(input.timestamp, 'timestamp');
  // Optional quorum fields (same shape as src/quorum/audit-entries.ts produces).
  if (input.deploy !== undefined) entry['deploy'] = id(input.deploy, 'deploy');
  if (input.approvers !== undefined)
    entry['approvers'] = input.approvers.map((a) => text(a, 'approvers[]'));
  if (input.threshold !== undefined) entry['threshold'] = count(input.threshold, 'threshold');
  if (input.expiresAt !== undefined) entry['expiresAt'] = time(input.expiresAt, 'expiresAt');
  if (input.message !== undefined) entry['message'] = digest(input.message, 'message');
  return entry as AuditEntry;
}

export interface ApprovalEntryInput {
  readonly nowMs: number;
  /** Fresh id of this approval record. */
  readonly id: string;
  /** Decision id of the event that opened the deploy. */
  readonly decision: string;
  /** Deploy id the approval is for. */
  readonly deploy: string;
  /** API client that submitted the approval (the approver is the key holder). */
  readonly client: string;
  readonly approver: string;
  /**
   * Exactly one: the approver's 128-hex Ed25519 signature over the approval message, or the
   * armored SSH signature (docs/protocol.md §12). Both are public, not secret: anyone may re-verify.
   */
  readonly signature?: string;
  readonly sshSignature?: string;
  /** How it was signed: `ed25519` (raw), `sshsig-ed25519`, `sshsig-sk-ed25519`. */
  readonly signatureFormat: 'ed25519' | 'sshsig-ed25519' | 'sshsig-sk-ed25519';
  /** The key that verified it, as `ssh-keygen -l` prints it (`SHA256:…`). */
  readonly keyFingerprint: string;
  /** `sha256:<hex>` of the UTF-8 approval message that was signed. */
  readonly message: string;
  /** Policy revision the approval was checked under. */
  readonly policy: string;
}

/** An `approval` entry: one accepted approver signature. */
export function approvalEntry(input: ApprovalEntryInput): AuditEntry {
  const raw = input.signatureFormat === 'ed25519';
  if (raw ? !HEX_SIGNATURE.test(input.signature ?? '') : input.signature !== undefined)
    throw new TypeError('approvalEntry: signature must be 128 lowercase hex (raw format only)');
  if (
    raw
      ? input.sshSignature !== undefined
      : !SSH_SIGNATURE.test(input.sshSignature ?? '') ||
        !['sshsig-ed25519', 'sshsig-sk-ed25519'].includes(input.signatureFormat)
  )
    throw new TypeError('approvalEntry: sshSignature must be an armored SSH signature');
  if (!FINGERPRINT.test(input.keyFingerprint))
    throw new TypeError('approvalEntry: keyFingerprint must be SHA256:<43 base64>');
  return {
    v: 1,
    type: 'approval',
    time: auditTime(input.nowMs),
    id: id(input.id, 'id'),
    decision: id(input.decision, 'decision'),
    deploy: id(input.deploy, 'deploy'),
    client: text(input.client, 'client'),
    approver: text(input.approver, 'approver'),
    ...(raw ? { signature: input.signature } : { sshSignature: input.sshSignature }),
    signatureFormat: input.signatureFormat,
    keyFingerprint: input.keyFingerprint,
    message: digest(input.message, 'message'),
    policy: digest(input.policy, 'policy'),
  };
}

export interface PolicyEntryInput {
  readonly nowMs: number;
  readonly id: string;
  /** `sha256:<hex>` of the policy file bytes that became active. */
  readonly revision: string;
}

/** A `policy` entry: a new policy revision became active. */
export function policyEntry(input: PolicyEntryInput): AuditEntry {
  return {
    v: 1,
    type: 'policy',
    time: auditTime(input.nowMs),
    id: id(input.id, 'id'),
    revision: digest(input.revision, 'revision'),
  };
}

export interface DeliveryEntryInput {
  readonly nowMs: number;
  /** The delivery id (its `webhook-id`). */
  readonly id: string;
  /** Target id from the targets file. */
  readonly target: string;
  /** The decision the delivery was about. */
  readonly decision: string;
  readonly outcome: 'delivered' | 'dead';
  readonly attempts: number;
  /** HTTP status of the last attempt; null when it got no answer (timeout, network). */
  readonly status: number | null;
}

/** A `delivery` entry: the final outcome of one delivery (docs/protocol.md §11). */
export function deliveryEntry(input: DeliveryEntryInput): AuditEntry {
  if (
    input.status !== null &&
    (!Number.isSafeInteger(input.status) || input.status < 100 || input.status > 999)
  )
    throw new TypeError('audit entry: status must be an HTTP status or null');
  return {
    v: 1,
    type: 'delivery',
    time: auditTime(input.nowMs),
    id: id(input.id, 'id'),
    target: text(input.target, 'target'),
    decision: id(input.decision, 'decision'),
    outcome: oneOf(input.outcome, ['delivered', 'dead'], 'outcome'),
    attempts: count(input.attempts, 'attempts'),
    status: input.status,
  };
}

/**
 * Checks the fields every entry must carry (docs/protocol.md §6) before it is appended; entries
 * not made by the builders above (or made wrong) are refused with a TypeError.
 */
export function assertAuditEntry(entry: AuditEntry): void {
  if (entry.v !== 1) throw new TypeError('audit entry: v must be 1');
  oneOf(entry.type, ['decision', 'approval', 'policy', 'delivery'], 'type');
  time(entry.time, 'time');
  id(entry.id, 'id');
}

function id(v: string, name: string): string {
  if (typeof v !== 'string' || !ID.test(v)) throw new TypeError(`audit entry: bad ${name}`);
  return v;
}

function time(v: string, name: string): string {
  if (typeof v !== 'string' || !RFC3339_MS.test(v))
    throw new TypeError(`audit entry: ${name} must be RFC 3339 UTC with milliseconds`);
  return v;
}

function text(v: string, name: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT)
    throw new TypeError(`audit entry: ${name} must be 1..${MAX_TEXT} characters`);
  return v;
}

function digest(v: string, name: string): string {
  if (typeof v !== 'string' || !DIGEST_LABEL.test(v))
    throw new TypeError(`audit entry: ${name} must be sha256:<64 hex>`);
  return v;
}

function count(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new TypeError(`audit entry: ${name} must be a non-negative integer`);
  return v;
}

function oneOf<T extends string>(v: T, allowed: readonly T[], name: string): T {
  if (!allowed.includes(v)) throw new TypeError(`audit entry: bad ${name}`);
  return v;
}
