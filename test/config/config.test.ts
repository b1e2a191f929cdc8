import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildClientRegistry } from '../../src/config/clients.js';
import { loadClientsFile } from '../../src/config/clients-file.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { tempDir, testClient, writeClientsFile } from '../helpers/credentials.js';

describe('loadConfig', () => {
  it('fills the docs/protocol.md §8 defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      policyFile: 'policy/policy.json',
      dataDir: './data',
      toleranceSeconds: 300,
      nonceCapacity: 100_000,
      bodyLimitBytes: 262_144,
      redisPrefix: 'codex:',
    });
  });
  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['GATEWAY_TOLERANCE_SECONDS', '1e3'],
    ['GATEWAY_NONCE_CAPACITY', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['GATEWAY_LOG_ORIGIN', 'has space'],
  ])('refuses %s=%s naming the variable in one line', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`^invalid configuration: ${name} `),
    );
  });
  it('never echoes the value of a bad REDIS_URL (it may hold a password)', () => {
    try {
      loadConfig({ REDIS_URL: 'http://:hunter2-secret@host' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('REDIS_URL');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
  it('DATABASE_URL (docs/protocol.md §14): postgres URLs only, never echoed; origin and key file required', () => {
    const url = 'postgres://codex:hunter2-secret@db:5432/audit';
    expect(() => loadConfig({ DATABASE_URL: 'mysql://:hunter2-secret@db' })).toThrow(
      /^invalid configuration: DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/$/,
    );
    expect(() => loadConfig({ DATABASE_URL: url, GATEWAY_LOG_KEY_FILE: '/k' })).toThrow(
      /^invalid configuration: GATEWAY_LOG_ORIGIN is required with DATABASE_URL$/,
    );
    expect(() => loadConfig({ DATABASE_URL: url, GATEWAY_LOG_ORIGIN: 'gw.example/log' })).toThrow(
      /GATEWAY_LOG_KEY_FILE is required with DATABASE_URL/,
    );
    const ok = loadConfig({
      DATABASE_URL: url,
      GATEWAY_LOG_ORIGIN: 'gw.example/log',
      GATEWAY_LOG_KEY_FILE: '/k',
    });
    expect(ok.databaseUrl).toBe(url);
    expect(loadConfig({}).databaseUrl).toBeUndefined();
  });
});

describe('loadClientsFile', () => {
  it('loads a 0600 file and finds clients by API key', () => {
    const c = testClient();
    const registry = loadClientsFile(writeClientsFile(tempDir(), [c]), { production: true });
    expect(registry.byApiKey(c.apiKey)?.id).toBe('ci-main');
    expect(registry.byApiKey(`${c.apiKey}x`)).toBeUndefined();
  });
  it.each([0o644, 0o640, 0o604])('refuses a file with mode %o in one line', (mode) => {
    const file = writeClientsFile(tempDir(), [testClient()]);
    chmodSync(file, mode);
    expect(() => loadClientsFile(file, { production: false })).toThrow(
      /readable by group or others/,
    );
  });
  it.each([0o700, 0o500, 0o200])(
    'refuses mode %o: only 0600 or 0400 (docs/protocol.md §1)',
    (mode) => {
      const file = writeClientsFile(tempDir(), [testClient()]);
      chmodSync(file, mode);
      expect(() => loadClientsFile(file, { production: false })).toThrow(/0600 or 0400/);
    },
  );
  it('accepts mode 0400', () => {
    const file = writeClientsFile(tempDir(), [testClient()]);
    chmodSync(file, 0o400);
    expect(loadClientsFile(file, { production: false }).size).toBe(1);
  });
  it('refuses bad JSON without echoing the content', () => {
    const file = path.join(tempDir(), 'clients.json');
    writeFileSync(file, '{"clients": [ "s3cret-value-in-file', { mode: 0o600 });
    expect(() => loadClientsFile(file, { production: false })).toThrow(
      /^GATEWAY_CLIENTS_FILE: .* is not valid JSON$/,
    );
  });
});

describe('buildClientRegistry', () => {
  const entry = testClient().entry;
  const load =
    (clients: unknown[], production = false) =>
    () =>
      buildClientRegistry({ clients }, { production });
  it('refuses unknown fields', () =>
    expect(load([{ ...entry, admin: true }])).toThrow(/clients file/));
  it('refuses duplicate ids', () =>
    expect(load([entry, { ...testClient().entry }])).toThrow(/duplicate id/));
  it('refuses duplicate API key hashes', () =>
    expect(
      load([entry, { ...testClient('other').entry, apiKeySha256: entry.apiKeySha256 }]),
    ).toThrow(/duplicate API key/));
  it('refuses secrets shorter than 32 characters without echoing them', () => {
    expect(load([{ ...entry, signingSecrets: ['short-secret-xyz'] }])).toThrow(/shorter than 32/);
    expect(load([{ ...entry, signingSecrets: ['short-secret-xyz'] }])).not.toThrow(
      /short-secret-xyz/,
    );
  });
  it('refuses dev- clients in production only', () => {
    const dev = testClient('dev-abc').entry;
    expect(load([dev], true)).toThrow(/refused in production/);
    expect(load([dev], false)).not.toThrow();
  });
});
