import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTargetsFile } from '../../src/config/targets-file.js';
import { buildTargetRegistry, decodeWebhookSecret } from '../../src/delivery/targets.js';
import { newSecret } from './receiver.js';

const secret = newSecret();
const good = {
  targets: [
    {
      id: 'deployer',
      url: 'https://deploy.internal/hooks/codex',
      secrets: [secret, newSecret(24)],
      events: ['deploy.approved', 'event.allowed'],
      actions: ['deploy'],
    },
    { id: 'ci', url: 'http://127.0.0.1:9/x', secrets: [newSecret(64)], events: ['event.allowed'] },
  ],
};

function withTarget(patch: Record<string, unknown>): unknown {
  return { targets: [{ ...good.targets[0], ...patch }] };
}

function writeFile(content: unknown, mode = 0o600): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'codex-targets-'));
  const file = path.join(dir, 'targets.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(file, mode);
  return file;
}

describe('buildTargetRegistry', () => {
  it('loads a valid file, decodes secrets and matches by event type and action', () => {
    const reg = buildTargetRegistry(good);
    expect(reg.all.map((t) => t.id)).toEqual(['deployer', 'ci']);
    expect(reg.byId('deployer')?.keys.map((k) => k.length)).toEqual([32, 24]);
    expect(reg.matching('deploy.approved', 'deploy').map((t) => t.id)).toEqual(['deployer']);
    expect(reg.matching('event.allowed', 'deploy').map((t) => t.id)).toEqual(['deployer', 'ci']);
    expect(reg.matching('event.allowed', 'build').map((t) => t.id)).toEqual(['ci']);
  });

  describe('refuses with one line naming the problem', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['an ftp URL', withTarget({ url: 'ftp://x/y' }), /targets\.0\.url .*http/],
      ['a javascript: URL', withTarget({ url: 'javascript:alert(1)' }), /targets\.0\.url/],
      ['a relative URL', withTarget({ url: '/hooks' }), /targets\.0\.url/],
      ['credentials in the URL', withTarget({ url: 'https://u:p@x/y' }), /user name or password/],
      [
        'a short secret',
        withTarget({ secrets: [newSecret(23)] }),
        /targets\.0\.secrets\.0 secret must be whsec_/,
      ],
      ['a secret without whsec_', withTarget({ secrets: [secret.slice(6)] }), /secrets\.0/],
      [
        'a secret that is not canonical base64',
        withTarget({ secrets: [`${secret}x`] }),
        /secrets\.0/,
      ],
      ['a long secret', withTarget({ secrets: [newSecret(65)] }), /secrets\.0/],
      ['no secret', withTarget({ secrets: [] }), /secrets/],
      ['an unknown field', withTarget({ retries: 3 }), /Unrecognized key/],
      ['an unknown top-level field', { ...good, extra: 1 }, /Unrecognized key/],
      ['an unknown event', withTarget({ events: ['event.denied'] }), /events\.0/],
      ['no events', withTarget({ events: [] }), /events/],
      ['a bad action', withTarget({ actions: ['Deploy!'] }), /actions\.0/],
      ['a bad id', withTarget({ id: 'a b' }), /targets\.0\.id/],
      [
        'duplicate ids',
        { targets: [good.targets[0], { ...good.targets[1], id: 'deployer' }] },
        /targets\.1\.id duplicate id/,
      ],
    ];
    for (const [name, raw, message] of cases) {
      it(`for ${name}`, () => {
        let error: Error | undefined;
        try {
          buildTargetRegistry(raw);
        } catch (err) {
          error = err as Error;
        }
        expect(error?.message).toMatch(message);
        expect(error?.message).not.toContain('\n');
        // Never a secret in the message.
        expect(error?.message).not.toContain(secret.slice(6, 20));
      });
    }
  });

  it('decodes exactly the Standard Webhooks secret form', () => {
    const bytes = new Uint8Array(24).fill(7);
    const s = `whsec_${Buffer.from(bytes).toString('base64')}`;
    expect(decodeWebhookSecret(s)).toEqual(bytes);
    expect(decodeWebhookSecret(s.replace('whsec_', 'whsk_'))).toBeUndefined();
  });
});

describe('loadTargetsFile', () => {
  it('loads a 0600 or 0400 file', () => {
    expect(loadTargetsFile(writeFile(good)).all).toHaveLength(2);
    expect(loadTargetsFile(writeFile(good, 0o400)).all).toHaveLength(2);
  });
  it('refuses a file readable by group or others, one line, naming the variable', () => {
    expect(() => loadTargetsFile(writeFile(good, 0o644))).toThrow(
      /^GATEWAY_TARGETS_FILE: .* is readable by group or others \(mode 644\); chmod 600 it$/,
    );
    expect(() => loadTargetsFile(writeFile(good, 0o640))).toThrow(/readable by group or others/);
    expect(() => loadTargetsFile(writeFile(good, 0o700))).toThrow(/must have mode 0600 or 0400/);
  });
  it('refuses bad JSON and bad contents', () => {
    expect(() => loadTargetsFile(writeFile('{'))).toThrow(
      /^GATEWAY_TARGETS_FILE: .* is not valid JSON$/,
    );
    expect(() => loadTargetsFile(writeFile(withTarget({ url: 'gopher://x' })))).toThrow(
      /^GATEWAY_TARGETS_FILE: targets file: targets\.0\.url/,
    );
    expect(() => loadTargetsFile('/nonexistent/targets.json')).toThrow(/cannot read/);
  });
});
