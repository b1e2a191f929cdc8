import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ed25519PublicKey, toHex } from '../../src/crypto/index.js';
import { loadEd25519KeyFile } from '../../src/secret-file/ed25519-key-file.js';
import {
  PrivateFileError,
  createPrivateFile,
  readPrivateFile,
} from '../../src/secret-file/private-file.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'codex-keyfile-'));
  dirs.push(dir);
  return dir;
}
const SEED = 'ab'.repeat(32);

/** Writes `text` to a fresh file with `mode` and returns its path. */
function keyFile(text: string, mode = 0o600): string {
  const file = path.join(tempDir(), 'key');
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  return file;
}

async function refusal(file: string): Promise<PrivateFileError> {
  const err = await loadEd25519KeyFile(file, { createIfMissing: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PrivateFileError);
  return err as PrivateFileError;
}

describe('loadEd25519KeyFile', () => {
  it('creates a 0600 key file with one hex line and loads the same key afterwards', async () => {
    const file = path.join(tempDir(), 'sub', 'key');
    const created = await loadEd25519KeyFile(file, { createIfMissing: true });
    expect(created.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toBe(`${toHex(created.secretKey)}\n`);
    const loaded = await loadEd25519KeyFile(file, { createIfMissing: true });
    expect(loaded.created).toBe(false);
    expect(toHex(loaded.publicKey)).toBe(toHex(created.publicKey));
    expect(toHex(loaded.publicKey)).toBe(toHex(ed25519PublicKey(loaded.secretKey)));
    expect(readdirSync(path.dirname(file))).toEqual(['key']); // no temp file left behind
  });

  it('creates exactly one key when several callers race', async () => {
    const file = path.join(tempDir(), 'key');
    const keys = await Promise.all(
      Array.from({ length: 6 }, () => loadEd25519KeyFile(file, { createIfMissing: true })),
    );
    expect(new Set(keys.map((k) => toHex(k.publicKey))).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
  });

  it('throws the open error (ENOENT) for a missing file it may not create', async () => {
    const file = path.join(tempDir(), 'absent.key');
    await expect(loadEd25519KeyFile(file, { createIfMissing: false })).rejects.toThrow(/ENOENT/);
  });

  it('accepts the seed with or without its newline, and a read-only 0400 file', async () => {
    for (const text of [SEED, `${SEED}\n`]) {
      const key = await loadEd25519KeyFile(keyFile(text, 0o400), { createIfMissing: false });
      expect(toHex(key.secretKey)).toBe(SEED);
    }
  });

  it('refuses a symbolic link, even to a good 0600 key file', async () => {
    const target = keyFile(`${SEED}\n`);
    const link = path.join(tempDir(), 'link.key');
    symlinkSync(target, link);
    const err = await refusal(link);
    expect(err.reason).toBe('symlink');
    expect(err.message).toContain(link);
  });

  it.each([[0o644], [0o640], [0o604], [0o660], [0o606], [0o610], [0o601]])(
    'refuses mode %o (group or others have a bit), naming the file but not the key',
    async (mode) => {
      const file = keyFile(`${SEED}\n`, mode);
      const err = await refusal(file);
      expect(err.reason).toBe('mode');
      expect(err.message).toMatch(/readable by group or others/);
      expect(err.message).toContain(file);
      expect(err.message).not.toContain(SEED);
    },
  );

  it.each([
    ['63 hex characters', `${SEED.slice(1)}\n`],
    ['65 hex characters', `${SEED}a\n`],
    ['a trailing space (no trimming before the check)', `${SEED} \n`],
    ['a leading space', ` ${SEED}\n`],
    ['two newlines', `${SEED}\n\n`],
    ['upper-case hex', `${SEED.toUpperCase()}\n`],
    ['a second line', `${SEED}\n${SEED}\n`],
    ['nothing', ''],
  ])('refuses a file holding %s', async (_name, text) => {
    const file = keyFile(text);
    const err = await refusal(file);
    expect(err.reason).toBe('content');
    expect(err.message).toMatch(/64 lowercase hex/);
  });

  it('refuses a directory in place of the file', async () => {
    const dir = path.join(tempDir(), 'key');
    mkdirSync(dir, { mode: 0o700 });
    expect((await refusal(dir)).reason).toBe('not-a-file');
  });
});

describe('createPrivateFile / readPrivateFile', () => {
  it('writes once, 0600, and leaves an existing file untouched', async () => {
    const file = path.join(tempDir(), 'secret.json');
    expect(await createPrivateFile(file, 'first\n')).toBe(true);
    expect(await createPrivateFile(file, 'second\n')).toBe(false);
    expect(await readPrivateFile(file)).toBe('first\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('does not write through a symbolic link planted at the path', async () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    const file = path.join(dir, 'secret');
    symlinkSync(victim, file);
    expect(await createPrivateFile(file, 'evil\n')).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
  });
});
