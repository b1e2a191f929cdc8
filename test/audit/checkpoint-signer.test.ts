import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { noteVerifier, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { CheckpointRefusedError } from '../../src/audit/checkpoint-signer.js';
import { toHex } from '../../src/crypto/index.js';
import { openStack, ORIGIN, removeDir, sampleDecision, type AuditStack } from './audit-stack.js';
import { refVerifyConsistency } from './independent-verifier.js';

const open: AuditStack[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach(removeDir);
});
async function stackIn(dir?: string, key?: AuditStack['key']): Promise<AuditStack> {
  const s = await openStack(dir, key);
  open.push(s);
  if (!dirs.includes(s.dir)) dirs.push(s.dir);
  return s;
}
async function reopen(s: AuditStack): Promise<AuditStack> {
  await s.close();
  open.splice(open.indexOf(s), 1);
  return stackIn(s.dir, s.key);
}

describe('CheckpointSigner', () => {
  it('signs a note that verifies under the log key, for the current size and root', async () => {
    const s = await stackIn();
    for (let i = 0; i < 4; i++) await s.service.append(sampleDecision(i));
    const signed = await s.signer.current();
    const cp = verifyCheckpoint(signed.note, noteVerifier(ORIGIN, s.key.publicKey));
    expect(cp.size).toBe(4);
    expect(toHex(cp.root)).toBe((await s.service.inclusion(0)).root);
  });

  it('re-signs only when the tree grew', async () => {
    const s = await stackIn();
    await s.service.append(sampleDecision(0));
    const first = await s.signer.current();
    await Promise.all([s.signer.current(), s.signer.current(), s.service.checkpoint()]);
    expect(s.signer.signatures).toBe(1);
    expect((await s.signer.current()).note).toBe(first.note);
    await s.service.append(sampleDecision(1));
    const second = await s.signer.current();
    expect(s.signer.signatures).toBe(2);
    expect(second.size).toBe(2);
    await s.signer.current();
    expect(s.signer.signatures).toBe(2);
  });

  it('persists the signed size and root durably in its state file', async () => {
    const s = await stackIn();
    await s.service.append(sampleDecision(0));
    await s.service.append(sampleDecision(1));
    const signed = await s.signer.current();
    expect(JSON.parse(readFileSync(s.stateFile, 'utf8'))).toEqual({
      size: 2,
      root: toHex(signed.root),
    });
  });

  it('keeps signing after a restart when the log only grew, each checkpoint consistent with the last', async () => {
    let s = await stackIn();
    const notes = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await s.service.append(sampleDecision(round * 10 + i));
      notes.push(await s.signer.current());
      s = await reopen(s);
    }
    const last = await s.signer.current();
    for (const earlier of notes) {
      const p = await s.service.consistency(earlier.size, last.size);
      const ok = refVerifyConsistency(
        earlier.size,
        last.size,
        earlier.root,
        last.root,
        p.proof.map((h) => Buffer.from(h, 'hex')),
      );
      expect(ok).toBe(true);
    }
  });

  it('refuses to sign when the persisted root does not match the tree (tampered state or log)', async () => {
    let s = await stackIn();
    for (let i = 0; i < 3; i++) await s.service.append(sampleDecision(i));
    await s.signer.current();
    const state = JSON.parse(readFileSync(s.stateFile, 'utf8')) as { size: number; root: string };
    writeFileSync(s.stateFile, JSON.stringify({ ...state, root: 'ab'.repeat(32) }));
    s = await reopen(s);
    await s.service.append(sampleDecision(3));
    await expect(s.signer.current()).rejects.toThrow(CheckpointRefusedError);
    // Same size as before (no consistency proof needed) is refused just the same.
    const t = await reopen(s);
    writeFileSync(t.stateFile, JSON.stringify({ size: 4, root: 'cd'.repeat(32) }));
    await expect(t.signer.current()).rejects.toThrow(/not consistent/);
    expect(t.signer.signatures).toBe(0);
  });

  it('refuses to sign a log that is shorter than the last signed one (rollback)', async () => {
    let s = await stackIn();
    await s.service.append(sampleDecision(0));
    const state = { size: 9, root: toHex((await s.signer.current()).root) };
    writeFileSync(s.stateFile, JSON.stringify(state));
    s = await reopen(s);
    await expect(s.signer.current()).rejects.toThrow(/already signed/);
  });

  it('refuses to sign a different log that grew past the signed size (swapped store)', async () => {
    const a = await stackIn();
    for (let i = 0; i < 3; i++) await a.service.append(sampleDecision(i));
    await a.signer.current();
    const b = await stackIn();
    for (let i = 0; i < 5; i++) await b.service.append(sampleDecision(100 + i));
    writeFileSync(b.stateFile, readFileSync(a.stateFile));
    const fresh = await reopen(b);
    await expect(fresh.signer.current()).rejects.toThrow(CheckpointRefusedError);
  });

  it('fails closed on a damaged state file instead of starting over', async () => {
    let s = await stackIn();
    await s.service.append(sampleDecision(0));
    await s.signer.current();
    writeFileSync(s.stateFile, '{"size": 1, "root": "zz"}');
    s = await reopen(s);
    await expect(s.signer.current()).rejects.toThrow(/damaged/);
  });

  it('hands out monotonically growing, verifying checkpoints under concurrent appends', async () => {
    const s = await stackIn();
    const v = noteVerifier(ORIGIN, s.key.publicKey);
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        await s.service.append(sampleDecision(i));
        seen.push(verifyCheckpoint(await s.service.checkpoint(), v).size);
      }),
    );
    expect(Math.max(...seen)).toBe(30);
    // The service serves the store's batch heads; the on-demand signer persists its own.
    await s.signer.current();
    const state = JSON.parse(readFileSync(s.stateFile, 'utf8')) as { size: number };
    expect(state.size).toBe(Math.max(...seen));
  });
});
