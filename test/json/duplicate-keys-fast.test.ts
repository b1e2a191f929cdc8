import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectJson } from '../../src/events/event-schema.js';
import { countKeyTokens, findDuplicateKey } from '../../src/json/duplicate-keys.js';

/**
 * parseJsonBody skips the full duplicate-key scan when the text spells out as many keys as
 * the parsed objects have members (issue 19). That shortcut must agree exactly with the
 * scan: counts equal ⇔ no duplicate key at any depth.
 */
function agrees(text: string): boolean {
  const members = inspectJson(JSON.parse(text) as unknown).members;
  const noDuplicate = findDuplicateKey(text) === undefined;
  expect(countKeyTokens(text) === members, text.slice(0, 300)).toBe(noDuplicate);
  return noDuplicate;
}

/** A key from a small set, spelled plainly or with escapes JSON.parse decodes to the same. */
const key = fc.constantFrom(
  '"a"',
  '"\\u0061"',
  '"b"',
  '"a:"',
  '"\\""',
  '"\\\\"',
  '"\\\\\\""',
  '"x\\\\"',
  '"__proto__"',
  '""',
  '"\\ud83d\\udca3"',
  '"💣"',
  '"k\\n"',
  '"k\\u000a"',
);
const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');
const json: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string; array: string }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(
        '1',
        'true',
        'null',
        '"v"',
        '"a:"',
        '"\\"x\\":"',
        '"\\\\"',
        '":"',
        '"{\\"a\\":1}"',
      ),
      tie('object'),
      tie('array'),
    ),
    object: fc
      .array(fc.tuple(ws, key, ws, ws, tie('value')), { maxLength: 4 })
      .map(
        (members) =>
          `{${members.map(([w1, k, w2, w3, v]) => `${w1}${k}${w2}:${w3}${v}`).join(',')}}`,
      ),
    array: fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
  }),
).object;

describe('the duplicate-key shortcut (key tokens vs parsed members)', () => {
  it('agrees with the full scan on random objects with duplicate-prone keys and escapes', () => {
    let duplicates = 0;
    let clean = 0;
    fc.assert(
      fc.property(json, (text) => {
        if (agrees(text)) clean++;
        else duplicates++;
      }),
      { numRuns: 20_000, seed: 19 },
    );
    expect(duplicates).toBeGreaterThan(1000);
    expect(clean).toBeGreaterThan(1000);
  });

  it('agrees on arbitrary JSON and on hand-picked spellings', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        agrees(text);
      }),
      { numRuns: 5000, seed: 20 },
    );
    for (const text of [
      '{"a":1,"a":2}',
      '{"a":1,"\\u0061":2}',
      '{"a" :1, "b": {"a":1, "c":"\\"a\\": 1"}}',
      '{"x":"\\\\","x\\\\":1}',
      '{"x":"\\\\\\"","y":{"z":[{"q":1},{"q":2}]}}',
      '{"__proto__":1,"__proto__":2}',
      `{"pad":"${'x'.repeat(70_000)}","pad":""}`,
      `{"pad":"${'\\\\'.repeat(1000)}","b":"${'\\"'.repeat(1000)}"}`,
      '[]',
      '"a"',
      '{}',
    ])
      agrees(text);
  });
});
