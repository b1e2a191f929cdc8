import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { sha256Hex } from '../../src/crypto/index.js';
import { SHIPPED_POLICY, shippedPolicyJson } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'policy-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['policy', 'check', ...args], {
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

describe('codex-gateway policy check FILE', () => {
  it('prints the revision (sha256 of the file bytes) of a valid file and exits 0', async () => {
    const r = await run(SHIPPED_POLICY);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ok sha256:${sha256Hex(readFileSync(SHIPPED_POLICY))}`);
  });

  it('prints every error with its JSON path and exits 1', async () => {
    const file = path.join(dir, 'bad.json');
    const doc = shippedPolicyJson();
    writeFileSync(
      file,
      JSON.stringify({
        ...doc,
        extra: true,
        deny: { patterns: [{ name: 'redos', regex: '(a+)+$' }], emoji: [] },
      }),
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('(root): unknown field(s) "extra"');
    writeFileSync(
      file,
      JSON.stringify({
        ...doc,
        deny: { patterns: [{ name: 'redos', regex: '(a+)+$' }] },
        approvers: { a: `01${'00'.repeat(31)}` },
      }),
    );
    const r2 = await run(file);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(
      'deny.patterns[0].regex: super-linear or unsafe pattern: nested quantifier',
    );
    expect(r2.err).toContain(
      'approvers.a: not an acceptable Ed25519 public key: small-order point',
    );
  });

  it('refuses a file with a key twice in one object (the second would silently win)', async () => {
    const file = path.join(dir, 'dup.json');
    writeFileSync(
      file,
      '{"version":1,"maxSteps":3,"clients":{"a":{"actions":["build"],"actions":[]}}}',
    );
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('clients.a.actions: duplicate key');
  });

  it('reports an unreadable file and a missing argument', async () => {
    expect((await run(path.join(dir, 'missing.json'))).err).toContain('ENOENT');
    expect((await run()).code).toBe(2);
    expect((await run('--nope', SHIPPED_POLICY)).code).toBe(2);
  });
});
