import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventSchema } from '../../src/events/event-schema.js';
import { acceptEvent } from '../../src/events/event-validator.js';
import { parseJsonBody } from '../../src/http/json-body.js';
import { adversarialEvent } from '../policy/adversarial.js';

/**
 * The hand-specialised event validator on the request path (issue 19) must answer exactly
 * what the zod schema answers: the same acceptance, the same output, and — since every
 * refusal is zod's — the same first issue (path and message) the API puts in `detail`.
 */
function same(value: unknown): void {
  const reference = eventSchema.safeParse(value);
  const fast = acceptEvent(value);
  if (fast !== undefined) {
    // Accepting what zod refuses would be a hole; the output must be zod's, key order too.
    expect(reference.success, JSON.stringify(value)?.slice(0, 200)).toBe(true);
    expect(fast).toStrictEqual(reference.data);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(reference.data));
  }
  // Otherwise zod decides (parseJsonBody), so refusals and their issues are zod's by construction.
}

const DIGEST = `sha256:${'a'.repeat(64)}`;
const strings = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'build',
    'deploy',
    'Build',
    '1build',
    'b'.repeat(64),
    'b'.repeat(65),
    'acme/web',
    'acme web',
    'x'.repeat(200),
    'x'.repeat(201),
    'prod',
    'Prod',
    DIGEST,
    DIGEST.toUpperCase(),
    `${DIGEST}0`,
    'n'.repeat(100),
    'n'.repeat(101),
    'r'.repeat(4096),
    'r'.repeat(4097),
    'line\nbreak',
    'build\n',
    '\u0000',
    '💣',
    '\ud800',
  ),
  fc.string({ maxLength: 12 }),
);
const scalar = fc.oneof(strings, fc.integer(), fc.boolean(), fc.constant(null), fc.double());
const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { k: v } : [v];
  return v;
};
const metadata = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
  fc.constantFrom(
    { deep: nested(6) },
    { deep: nested(7) },
    { deep: nested(8) },
    JSON.parse('{"__proto__": {"x": 1}}') as unknown,
    JSON.parse('{"a": {"constructor": 1}}') as unknown,
    { prototype: 'x' },
    { '2': 'b', '1': 'a', z: 'c' },
    [],
    null,
    'text',
  ),
);
const step = fc.oneof(
  fc.record({ name: strings, run: strings }),
  fc.record({ name: strings, run: strings, extra: scalar }),
  fc.record({ name: strings }),
  scalar,
);
const deploy = fc.oneof(
  fc.record({ environment: strings, artifact: fc.oneof(fc.constant(DIGEST), strings) }),
  fc.record({ environment: fc.constant('prod'), artifact: fc.constant(DIGEST), x: scalar }),
  scalar,
);
const mostly = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: other, weight: 1 });
const validStep = fc.record({
  name: fc.string({ minLength: 1, maxLength: 100 }),
  run: fc.string({ maxLength: 200 }),
});
/** Events near the valid ones: each field mostly valid, sometimes invalid, missing or extra. */
const nearValid = fc.record(
  {
    action: mostly(
      fc.constantFrom('build', 'deploy', 'test', 'a.b-c_9'),
      fc.oneof(strings, scalar),
    ),
    target: mostly(fc.constantFrom('acme/web', 'a', 'x'.repeat(200), 'A@b:c/d.e-f_'), strings),
    steps: mostly(fc.array(mostly(validStep, step), { maxLength: 4 }), scalar),
    metadata,
    deploy: mostly(
      fc.record({
        environment: fc.constantFrom('prod', 'p', 'dev_1-x'),
        artifact: fc.constant(DIGEST),
      }),
      deploy,
    ),
  },
  { requiredKeys: ['action', 'target', 'steps'] },
);
const wild = fc.record(
  {
    action: fc.oneof(fc.constantFrom('build', 'deploy', 'test'), strings, scalar),
    target: fc.oneof(fc.constant('acme/web'), strings, scalar),
    steps: fc.oneof(fc.array(step, { maxLength: 4 }), scalar),
    metadata,
    deploy,
    other: scalar,
  },
  { requiredKeys: [] },
);
const event = fc
  .oneof({ arbitrary: nearValid, weight: 3 }, { arbitrary: wild, weight: 1 })
  .map((e) => JSON.parse(JSON.stringify(e)) as unknown);

describe('the compiled event validator', () => {
  it('answers exactly what the zod event schema answers (random near-valid events)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(event, (value) => {
        same(value);
        if (acceptEvent(value) !== undefined) accepted++;
      }),
      { numRuns: 20_000, seed: 19 },
    );
    // The generator must reach the accepting path often, or this proves little.
    expect(accepted).toBeGreaterThan(300);
  });

  it('valid events of every kind are accepted by the fast path itself', () => {
    const valid: unknown[] = [
      { action: 'build', target: 'acme/web', steps: [] },
      { action: 'build', target: 'acme/web', steps: [{ name: 'b', run: '' }], metadata: {} },
      {
        action: 'deploy',
        target: 'acme/web',
        steps: [{ run: 'x', name: 'n'.repeat(100) }],
        deploy: { artifact: DIGEST, environment: 'prod' },
        metadata: { deep: nested(7), list: [1, 'a', null, true] },
      },
      adversarialEvent(),
    ];
    for (const v of valid) {
      expect(acceptEvent(v)).toBeDefined();
      same(v);
    }
  });

  it('leaves to zod whatever it is not sure of, and anything at all that is not JSON', () => {
    class Event {
      action = 'build';
      target = 'acme/web';
      steps = [];
    }
    const odd: unknown[] = [
      new Event(),
      Object.assign(Object.create(null) as object, { action: 'build', target: 'a', steps: [] }),
      { action: 'build', target: 'a', steps: [], [Symbol('s')]: 1 },
      { action: 'build', target: 'a', steps: [], metadata: undefined },
      { action: 'build', target: 'a', steps: new Array(10_001).fill({ name: 'a', run: '' }) },
      { action: 'build', target: 'a', steps: [], deploy: { environment: 'p', artifact: DIGEST } },
      { action: 'deploy', target: 'a', steps: [] },
    ];
    for (const v of odd) same(v);
    fc.assert(
      fc.property(fc.anything(), (v) => same(v)),
      { numRuns: 3000, seed: 19 },
    );
  });

  it('gives the API the same invalid_body detail as zod did (parseJsonBody)', () => {
    const detail = (fn: () => unknown): string => {
      try {
        fn();
        return 'accepted';
      } catch (err) {
        return (err as { detail?: string }).detail ?? String(err);
      }
    };
    fc.assert(
      fc.property(event, (value) => {
        const body = Buffer.from(JSON.stringify(value));
        const ct = 'application/json';
        expect(detail(() => parseJsonBody(eventSchema, ct, body, acceptEvent))).toBe(
          detail(() => parseJsonBody(eventSchema, ct, body)),
        );
      }),
      { numRuns: 3000, seed: 20 },
    );
  });
});
