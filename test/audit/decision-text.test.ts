import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import { DECISION_KEYS_SORTED, decisionText } from '../../src/audit/decision-text.js';
import { entryBytes } from '../../src/audit/entry-bytes.js';
import { assertAuditEntry, decisionEntry, type DecisionEntryInput } from '../../src/audit/entry.js';
import { canonicalBytes } from '../../src/audit/jcs.js';

/**
 * Issue 19: decision entries are written by a specialised writer (decision-text.ts) instead
 * of `assertAuditEntry` + the generic `canonicalBytes`. The leaf bytes must be identical,
 * and whatever the generic path refuses (with its error) must still be refused, for entries
 * as decisionEntry builds them and for any tampered or hand-made entry.
 */

/** What AuditService.append did before: assert, then the generic JCS bytes. */
function generic(entry: AuditEntry): string {
  try {
    assertAuditEntry(entry);
    return Buffer.from(canonicalBytes(entry)).toString('hex');
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

function fast(entry: AuditEntry): string {
  try {
    return Buffer.from(entryBytes(entry)).toString('hex');
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

const hex64 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex'));
const digest = hex64.map((h) => `sha256:${h}`);
/** Any UTF-16 text incl. quotes, controls, non-BMP characters (lone surrogates are invalid). */
const anyText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }),
  fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }),
  fc.constantFrom('a"b\\c', '\u0000\u001f\u007f', '\u2028\u2029', '€😀', 'x'.repeat(512)),
);
const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);

const input: fc.Arbitrary<DecisionEntryInput> = fc
  .record(
    {
      nowMs: fc.integer({ min: 0, max: 253402300799999 }),
      id,
      client: anyText,
      action: anyText,
      target: anyText,
      decision: fc.constantFrom('allow', 'deny', 'pending'),
      reasons: fc.array(anyText, { maxLength: 4 }),
      policy: fc.oneof(digest, fc.constant(null)),
      request: digest,
      nonce: fc.oneof(digest, fc.constant(undefined)),
      timestamp: fc.oneof(fc.nat(), fc.constant(undefined), fc.constant(Number.MAX_SAFE_INTEGER)),
      deploy: id,
      approvers: fc.array(anyText, { maxLength: 4 }),
      threshold: fc.nat({ max: 20 }),
      expiresAt: fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString()),
      message: digest,
    },
    { requiredKeys: ['nowMs', 'id', 'client', 'action', 'target', 'decision', 'reasons'] },
  )
  .map((r) => ({ policy: null, request: `sha256:${'0'.repeat(64)}`, ...r }));

/** Values a tampered member may take: every JSON type and the ones JCS refuses. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    undefined,
    null,
    Number.NaN,
    Infinity,
    -0,
    1,
    1.5,
    '\ud800',
    'a\udc00b',
    '',
    [],
    ['\ud83d'],
    [1],
    [undefined],
    // eslint-disable-next-line no-sparse-arrays
    [, 'x'],
    {},
    new Date(0),
    Symbol('s'),
    10n,
    '2026-11-27T00:00:00.000Z',
    '2026-11-27T00:00:00Z',
    'bad id',
    'decision',
    'approval',
  ),
);

const keyName = fc.oneof(
  fc.constantFrom(...DECISION_KEYS_SORTED, '0', '__proto__', 'extra', 'Time'),
  fc.string({ maxLength: 6 }),
);

/** One way of breaking (or merely rebuilding) a valid entry. */
type Tamper = (e: Record<string, unknown>) => object;
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.tuple(keyName, oddValue).map(([k, v]) => (e: Record<string, unknown>) => {
    e[k] = v;
    return e;
  }),
  keyName.map((k) => (e: Record<string, unknown>) => {
    delete e[k];
    return e;
  }),
  // Same members, another insertion order: valid, must give the same bytes.
  fc.integer().map((seed) => (e: Record<string, unknown>) => {
    const keys = Object.keys(e);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(i + Math.abs(seed)) % keys.length] as string;
      out[k] = e[k];
    }
    return out;
  }),
  fc.constant((e: Record<string, unknown>) => Object.assign(Object.create(null) as object, e)),
  fc.constant((e: Record<string, unknown>) => Object.assign(new (class X {})(), e)),
  fc.constant((e: Record<string, unknown>) => Object.assign(e, { [Symbol('k')]: 1 })),
  fc.constant((e: Record<string, unknown>) =>
    Object.defineProperty(e, 'hidden', { value: 'x', enumerable: false }),
  ),
  fc.constant((e: Record<string, unknown>) => {
    // An optional member present but undefined, then one defined after it.
    e['nonce'] = undefined;
    return e;
  }),
);

describe('decisionText / entryBytes (specialised decision-entry JCS)', () => {
  it('writes the members in RFC 8785 order', () => {
    expect([...DECISION_KEYS_SORTED].sort()).toEqual([...DECISION_KEYS_SORTED]);
    const full = decisionEntry({
      nowMs: 0,
      id: 'a',
      client: 'c',
      action: 'a',
      target: 't',
      decision: 'pending',
      reasons: [],
      policy: null,
      request: `sha256:${'1'.repeat(64)}`,
      nonce: `sha256:${'2'.repeat(64)}`,
      timestamp: 3,
      deploy: 'd',
      approvers: ['x'],
      threshold: 1,
      expiresAt: '2026-01-01T00:00:00.000Z',
      message: `sha256:${'3'.repeat(64)}`,
    });
    expect(Object.keys(full).sort()).toEqual([...DECISION_KEYS_SORTED]);
    expect(decisionText(full)).toBe(new TextDecoder().decode(canonicalBytes(full)));
  });

  it('gives the generic bytes for every entry decisionEntry builds, on the fast path', () => {
    fc.assert(
      fc.property(input, (i) => {
        let entry: AuditEntry;
        try {
          entry = decisionEntry(i);
        } catch {
          return; // refused by the builder: never reaches the log
        }
        expect(decisionText(entry)).toBeDefined();
        expect(fast(entry)).toBe(generic(entry));
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses exactly what the generic path refuses, with its error, for tampered entries', () => {
    fc.assert(
      fc.property(input, fc.array(tamper, { minLength: 1, maxLength: 3 }), (i, tampers) => {
        let entry: object;
        try {
          entry = decisionEntry(i);
        } catch {
          return;
        }
        for (const t of tampers) entry = t(entry as Record<string, unknown>);
        expect(fast(entry as AuditEntry)).toBe(generic(entry as AuditEntry));
      }),
      { numRuns: 20_000 },
    );
  });

  it('is not fooled by members inherited from a polluted Object.prototype', () => {
    const entry = decisionEntry({
      nowMs: 0,
      id: 'a',
      client: 'c',
      action: 'a',
      target: 't',
      decision: 'allow',
      reasons: [],
      policy: null,
      request: `sha256:${'1'.repeat(64)}`,
    });
    const proto = Object.prototype as Record<string, unknown>;
    for (const k of ['nonce', 'timestamp', 'approvers', 'deploy']) {
      proto[k] = k === 'timestamp' ? 5 : k === 'approvers' ? ['p'] : `sha256:${'9'.repeat(64)}`;
      try {
        expect(fast(entry)).toBe(generic(entry));
        expect(new TextDecoder().decode(entryBytes(entry))).not.toContain(`"${k}"`);
      } finally {
        delete proto[k];
      }
    }
  });

  it('leaves other kinds of entry to the generic path', () => {
    const policy = {
      v: 1,
      type: 'policy',
      time: '2026-01-01T00:00:00.000Z',
      id: 'p',
      revision: 'x',
    };
    expect(decisionText(policy as AuditEntry)).toBeUndefined();
    expect(fast(policy as AuditEntry)).toBe(generic(policy as AuditEntry));
  });
});
