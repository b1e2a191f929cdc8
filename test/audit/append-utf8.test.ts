import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit-service.js';
import { checkpointHeadSigner, noteVerifier } from '../../src/audit/checkpoint.js';
import { decisionEntry } from '../../src/audit/entry.js';
import type { MerkleLogStore, StoredLeaf } from '../../src/audit/log-store.js';
import { FILE_NAMES } from '../../src/audit/storage/log-files.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { HEAD_FILE } from '../../src/audit/storage/head-file.js';
import { generateEd25519KeyPair } from '../../src/crypto/index.js';
import { tempDir } from './fixtures/temp-log.js';

/**
 * Issue 19: a decision entry's canonical text goes to the file log as a string
 * (`appendUtf8`), encoded straight into the batch, instead of bytes copied twice. The log
 * must be the same, byte for byte (all four files), with the same receipts, as appending
 * the UTF-8 bytes; strings that have no exact UTF-8 (lone surrogates) are refused.
 */
const ORIGIN = 'test.example/append-utf8';
const key = generateEd25519KeyPair();
const verifier = noteVerifier(ORIGIN, key.publicKey);
const signer = checkpointHeadSigner(verifier, key.secretKey);

/** `String.prototype.isWellFormed` (not in this project's TypeScript lib). */
const wellFormed = (t: string) => (t as unknown as { isWellFormed(): boolean }).isWellFormed();
const files = (dir: string) =>
  [...Object.values(FILE_NAMES), HEAD_FILE].map((f) => readFileSync(join(dir, f)).toString('hex'));
const plain = (r: StoredLeaf) => ({
  index: r.index,
  leafHash: Buffer.from(r.leafHash).toString('hex'),
  note: r.checkpoint?.note,
  proof: r.proof?.map((p) => Buffer.from(p).toString('hex')),
  hex: r.hex,
});

describe('appendUtf8 (file log)', () => {
  it('writes the same files and receipts as append of the UTF-8 bytes', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 400, unit: 'grapheme' }),
      fc.string({ maxLength: 50, unit: 'binary' }),
      fc.constantFrom('', '€😀\u0000"\\', 'x'.repeat(3000)),
    );
    const waves = fc.sample(fc.array(text, { minLength: 1, maxLength: 9 }), 60);
    const a = tempDir();
    const b = tempDir();
    const sa = await openFileLogStore(a.dir, { signer });
    const sb = await openFileLogStore(b.dir, { signer });
    try {
      for (const wave of waves) {
        const ok = wave.filter((t) => wellFormed(t));
        const ra = await Promise.all(ok.map((t) => sa.append(Buffer.from(t, 'utf8'))));
        const rb = await Promise.all(ok.map((t) => sb.appendUtf8!(t)));
        expect(rb.map(plain)).toEqual(ra.map(plain));
        for (const t of wave.filter((t) => !wellFormed(t)))
          await expect(sb.appendUtf8!(t)).rejects.toThrow(TypeError);
      }
      await expect(sb.appendUtf8!('x'.repeat(2 * 1024 * 1024))).rejects.toThrow(RangeError);
      expect(sb.size()).toBe(sa.size());
      expect(files(b.dir)).toEqual(files(a.dir));
    } finally {
      await sa.close();
      await sb.close();
      a.remove();
      b.remove();
    }
  });

  it('gives AuditService the receipts of a store without appendUtf8', async () => {
    const a = tempDir();
    const b = tempDir();
    const sa = await openFileLogStore(a.dir, { signer });
    const sb = await openFileLogStore(b.dir, { signer });
    // The same store seen without the optional method: AuditService sends bytes.
    const bytesOnly: MerkleLogStore = {
      append: (l) => sa.append(l),
      size: () => sa.size(),
      rootAt: (n) => sa.rootAt(n),
      leafHash: (i) => sa.leafHash(i),
      leaf: (i) => sa.leaf(i),
      inclusionProof: (i, n) => sa.inclusionProof(i, n),
      consistencyProof: (x, y) => sa.consistencyProof(x, y),
      close: () => sa.close(),
      latest: () => sa.latest!(),
    };
    let utf8Calls = 0;
    const appendUtf8 = sb.appendUtf8!.bind(sb);
    sb.appendUtf8 = (t) => (utf8Calls++, appendUtf8(t));
    const va = new AuditService(bytesOnly, undefined, verifier);
    const vb = new AuditService(sb, undefined, verifier);
    try {
      for (let wave = 0; wave < 20; wave++) {
        const entries = Array.from({ length: 1 + (wave % 7) }, (_, i) =>
          decisionEntry({
            nowMs: 1_764_000_000_000 + wave * 1000 + i,
            id: `d${wave}.${i}`,
            client: `c€😀"${i}`,
            action: 'build',
            target: 'acme/web',
            decision: i % 2 === 0 ? 'allow' : 'deny',
            reasons: i % 2 === 0 ? [] : ['max_steps', 'a\nb'],
            policy: `sha256:${'a'.repeat(64)}`,
            request: `sha256:${'b'.repeat(64)}`,
          }),
        );
        const ra = await Promise.all(entries.map((e) => va.append(e)));
        const rb = await Promise.all(entries.map((e) => vb.append(e)));
        expect(rb).toEqual(ra);
      }
      expect(files(b.dir)).toEqual(files(a.dir));
      expect(utf8Calls).toBe(sb.size());
    } finally {
      await sa.close();
      await sb.close();
      a.remove();
      b.remove();
    }
  });
});
