/**
 * The vulnerability allow-list (audit-allowlist.json): each entry silences one advisory
 * for a stated reason until an expiry date, after which the advisory blocks again. No
 * entry is permanent: expiry is mandatory and at most MAX_ALLOW_DAYS ahead, so an accepted
 * risk is looked at again.
 */
export interface AllowEntry {
  /** Advisory id: `GHSA-xxxx-xxxx-xxxx` or the npm advisory number as a string. */
  readonly id: string;
  /** Optional: only for this package name. */
  readonly package: string | undefined;
  readonly reason: string;
  /** Last day (UTC, inclusive) the entry is honoured, `YYYY-MM-DD`. */
  readonly expires: string;
}

/** Longest an entry may run, counted from the day it is checked. */
export const MAX_ALLOW_DAYS = 366;
const MAX_ENTRIES = 200;
const GHSA = /^GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}$/;
const NUMERIC_ID = /^[0-9]{1,12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Validates the parsed allow-list file against `today` (`YYYY-MM-DD`, UTC). Throws
 * TypeError naming the first bad entry: an unreadable allow-list must stop the gate,
 * never widen it.
 */
export function parseAllowList(doc: unknown, today: string): AllowEntry[] {
  const root = doc as { version?: unknown; entries?: unknown } | null;
  if (
    typeof root !== 'object' ||
    root === null ||
    root.version !== 1 ||
    !Array.isArray(root.entries)
  )
    throw new TypeError('allow-list: expected { "version": 1, "entries": [...] }');
  if (root.entries.length > MAX_ENTRIES) throw new TypeError('allow-list: too many entries');
  return root.entries.map((raw: unknown, i: number) => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const at = `allow-list entry ${i}`;
    const unknownKey = Object.keys(e).find(
      (k) => !['id', 'package', 'reason', 'expires'].includes(k),
    );
    if (unknownKey !== undefined) throw new TypeError(`${at}: unknown field ${unknownKey}`);
    if (typeof e.id !== 'string' || !(GHSA.test(e.id) || NUMERIC_ID.test(e.id)))
      throw new TypeError(`${at}: id must be a GHSA id or an npm advisory number`);
    if (e.package !== undefined && (typeof e.package !== 'string' || e.package === ''))
      throw new TypeError(`${at}: package must be a non-empty string when present`);
    if (typeof e.reason !== 'string' || e.reason.trim().length < 10)
      throw new TypeError(`${at}: reason is required (at least 10 characters)`);
    if (typeof e.expires !== 'string' || !isCalendarDate(e.expires))
      throw new TypeError(`${at}: expires must be a real date YYYY-MM-DD`);
    if (daysBetween(today, e.expires) > MAX_ALLOW_DAYS)
      throw new TypeError(`${at}: expires more than ${MAX_ALLOW_DAYS} days ahead`);
    return { id: e.id, package: e.package, reason: e.reason, expires: e.expires };
  });
}

/** True while `entry` is honoured on `today` (the expiry day itself included). */
export function isActive(entry: AllowEntry, today: string): boolean {
  return entry.expires >= today;
}

function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
}
