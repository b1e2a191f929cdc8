import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateLogKey, LogKeyError } from '../../src/audit/log-key.js';
import { ed25519PublicKey, toHex } from '../../src/crypto/index.js';
import { removeDir } from './audit-stack.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));
function keyPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'codex-logkey-'));
  dirs.push(dir);
  return path.join(dir, 'sub', 'log.key');
}

describe('loadOrCreateLogKey', () => {
  it('creates a 0600 key file on first start and loads the same key afterwards', async () => {
    const file = keyPath();
    const created = await loadOrCreateLogKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(toHex(created.secretKey) + '\n');
    const loaded = await loadOrCreateLogKey(file);
    expect(toHex(loaded.publicKey)).toBe(toHex(created.publicKey));
    expect(toHex(loaded.publicKey)).toBe(toHex(ed25519PublicKey(loaded.secretKey)));
  });

  it('creates exactly one key when two starts race', async () => {
    const file = keyPath();
    const [a, b] = await Promise.all([loadOrCreateLogKey(file), loadOrCreateLogKey(file)]);
    expect(toHex(a.publicKey)).toBe(toHex(b.publicKey));
  });

  it.each([[0o644], [0o640], [0o604], [0o660]])(
    'refuses a key file with mode %o, naming the file but not the key',
    async (mode) => {
      const file = keyPath();
      const { secretKey } = await loadOrCreateLogKey(file);
      chmodSync(file, mode);
      const err = (await loadOrCreateLogKey(file).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(LogKeyError);
      expect(err.message).toMatch(/readable by group or others/);
      expect(err.message).toContain(file);
      expect(err.message).not.toContain(toHex(secretKey));
    },
  );

  it('refuses a key file that is a symbolic link (never followed)', async () => {
    const file = keyPath();
    await loadOrCreateLogKey(file);
    const link = path.join(path.dirname(file), 'link.key');
    symlinkSync(file, link);
    const err = (await loadOrCreateLogKey(link).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(LogKeyError);
    expect(err.message).toMatch(/^GATEWAY_LOG_KEY_FILE: .*symbolic link/);
  });

  it('accepts a read-only 0400 key file', async () => {
    const file = keyPath();
    await loadOrCreateLogKey(file);
    chmodSync(file, 0o400);
    await expect(loadOrCreateLogKey(file)).resolves.toBeDefined();
  });

  it('refuses a key file that does not hold exactly 64 hex characters', async () => {
    const file = keyPath();
    await loadOrCreateLogKey(file);
    writeFileSync(file, 'not a key\n');
    await expect(loadOrCreateLogKey(file)).rejects.toThrow(/64 lowercase hex/);
  });
});
