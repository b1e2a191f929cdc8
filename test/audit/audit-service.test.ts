import { afterEach, describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/audit/jcs.js';
import { fromHex, toHex } from '../../src/crypto/index.js';
import { GatewayError } from '../../src/errors.js';
import { verifyCheckpoint, noteVerifier } from '../../src/audit/checkpoint.js';
import { ORIGIN, openStack, removeDir, sampleDecision, type AuditStack } from './audit-stack.js';
import {
  refLeafHash,
  refRoot,
  refVerifyConsistency,
  refVerifyInclusion,
} from './independent-verifier.js';

let stack: AuditStack | undefined;
afterEach(async () => {
  if (stack !== undefined) {
    await stack.close();
    removeDir(stack.dir);
    stack = undefined;
  }
});

async function filled(n: number): Promise<AuditStack> {
  stack = await openStack();
  for (let i = 0; i < n; i++) await stack.service.append(sampleDecision(i));
  return stack;
}

describe('AuditService.append', () => {
  it('stores the JCS bytes of the entry and returns its index and RFC 6962 leaf hash', async () => {
    const { service } = await filled(0);
    for (let i = 0; i < 3; i++) {
      const entry = sampleDecision(i);
      const receipt = await service.append(entry);
      expect(receipt.index).toBe(i);
      expect(receipt.leafHash).toBe(toHex(refLeafHash(Buffer.from(canonicalize(entry)))));
    }
  });
  it('resolves concurrent appends with distinct, dense indices', async () => {
    const { service } = await filled(0);
    const receipts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => service.append(sampleDecision(i))),
    );
    expect(receipts.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
  });
  it('gives receipts whose proofs are the store proofs, hex by hex, across batches (node hex cache)', async () => {
    const { service, store, key } = await filled(0);
    const verifier = noteVerifier(ORIGIN, key.publicKey);
    let n = 0;
    for (let wave = 0; wave < 60; wave++) {
      const width = 1 + (wave % 9);
      const receipts = await Promise.all(
        Array.from({ length: width }, () => service.append(sampleDecision(n++))),
      );
      for (const r of receipts) {
        const cp = verifyCheckpoint(r.checkpoint, verifier);
        const fresh = (await store.inclusionProof(r.index, cp.size)).map(toHex);
        expect(r.proof).toEqual(fresh);
        expect(
          refVerifyInclusion(r.index, cp.size, fromHex(r.leafHash), r.proof.map(fromHex), cp.root),
        ).toBe(true);
      }
    }
  });
  it('refuses an entry without the common fields and appends nothing', async () => {
    const { service } = await filled(1);
    const bad = { ...sampleDecision(9), time: 'yesterday' };
    await expect(service.append(bad)).rejects.toThrow(TypeError);
    expect(service.size()).toBe(1);
  });
});

describe('AuditService reads', () => {
  it('returns the exact leaf, its hash and the parsed entry', async () => {
    const { service } = await filled(3);
    const [view] = await service.entries(1, 1);
    expect(view!.leaf).toBe(canonicalize(sampleDecision(1)));
    expect(view!.entry).toEqual(sampleDecision(1));
    expect(view!.leafHash).toBe(toHex(refLeafHash(Buffer.from(view!.leaf))));
  });

  it('gives inclusion proofs that an independent RFC 9162 verifier accepts for every index and size', async () => {
    const n = 13;
    const { service } = await filled(n);
    const hashes = (await service.entries(0, n)).map((e) => fromHex(e.leafHash));
    for (let size = 1; size <= n; size++) {
      for (let index = 0; index < size; index++) {
        const p = await service.inclusion(index, size);
        expect(p.root).toBe(toHex(refRoot(hashes.slice(0, size))));
        const ok = refVerifyInclusion(
          index,
          size,
          hashes[index]!,
          p.proof.map(fromHex),
          fromHex(p.root),
        );
        expect(ok).toBe(true);
      }
    }
  });

  it('gives consistency proofs that an independent RFC 9162 verifier accepts for every pair', async () => {
    const n = 11;
    const { service } = await filled(n);
    const hashes = (await service.entries(0, n)).map((e) => fromHex(e.leafHash));
    for (let to = 1; to <= n; to++) {
      for (let from = 1; from <= to; from++) {
        const p = await service.consistency(from, to);
        const ok = refVerifyConsistency(
          from,
          to,
          refRoot(hashes.slice(0, from)),
          fromHex(p.root),
          p.proof.map(fromHex),
        );
        expect(ok).toBe(true);
      }
    }
  });

  it('defaults size and to to the current tree', async () => {
    const { service } = await filled(5);
    expect((await service.inclusion(2)).size).toBe(5);
    expect((await service.consistency(2)).to).toBe(5);
  });

  it.each([
    ['an index at the size', (s: AuditStack) => s.service.inclusion(5, 5)],
    ['a size beyond the tree', (s: AuditStack) => s.service.inclusion(0, 6)],
    ['size 0', (s: AuditStack) => s.service.inclusion(0, 0)],
    ['from 0', (s: AuditStack) => s.service.consistency(0, 3)],
    ['from beyond to', (s: AuditStack) => s.service.consistency(4, 3)],
    ['to beyond the tree', (s: AuditStack) => s.service.consistency(1, 6)],
    ['an entry beyond the tree', (s: AuditStack) => s.service.entries(5, 1)],
    ['an empty batch', (s: AuditStack) => s.service.entries(0, 0)],
    ['a non-integer index', (s: AuditStack) => s.service.inclusion(1.5, 5)],
    ['a negative index', (s: AuditStack) => s.service.entries(-1, 1)],
  ])('answers invalid_range for %s', async (_name, call) => {
    const s = await filled(5);
    const err = await call(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('invalid_range');
  });
});
