import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlushMode } from '../../src/audit/log-store.js';
import { openFileLogStore } from '../../src/audit/storage/file-log-store.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { fromHex, toHex } from '../../src/crypto/index.js';
import { TYPESCRIPT_LOADER } from '../helpers/paths.js';
import { tempDir } from './fixtures/temp-log.js';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

interface RoundResult {
  readonly acked: Map<number, string>;
  readonly openedAt: number;
}

/** Runs the writer child until `killAfterMs` after its first acknowledgement, then SIGKILLs it. */
function runAndKill(
  dir: string,
  tag: string,
  killAfterMs: number,
  maxPad: number,
  flush: FlushMode,
): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...TYPESCRIPT_LOADER, WRITER, dir, tag, '32', String(maxPad), flush],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acked = new Map<number, string>();
    let openedAt = -1;
    let rest = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [a, b] = line.split(' ') as [string, string];
        if (a === 'open') openedAt = Number(b);
        else acked.set(Number(a), b);
      }
      if (acked.size > 0 && timer === undefined) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed: ${stderr}`));
      else resolve({ acked, openedAt });
    });
  });
}

describe('durability across SIGKILL (storage level)', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  afterAll(() => dirs.forEach((d) => d.remove()));

  // Both places a batch's fdatasyncs can run (storage/flusher.ts).
  for (const flush of ['pool', 'inline'] as const)
    it(`keeps every acknowledged leaf and stays consistent with every earlier root (${flush} flushes)`, async () => {
      const tmp = tempDir();
      dirs.push(tmp);
      const roots: { size: number; root: Uint8Array }[] = [];
      // Fixed kill delays (ms after the first acknowledgement), mixing early and late kills,
      // and leaf sizes: small leaves (many small batches) and up to 200 KB (multi-MiB batches).
      const rounds = [
        { delay: 30, pad: 97 },
        { delay: 200, pad: 97 },
        { delay: 5, pad: 200_000 },
        { delay: 300, pad: 97 },
        { delay: 100, pad: 200_000 },
      ];
      let totalAcked = 0;
      for (let round = 0; round < rounds.length; round++) {
        const { delay, pad } = rounds[round] as { delay: number; pad: number };
        const { acked, openedAt } = await runAndKill(tmp.dir, `r${round}`, delay, pad, flush);
        expect(openedAt).toBe(roots.at(-1)?.size ?? 0);
        expect(acked.size).toBeGreaterThan(0);
        totalAcked += acked.size;

        const store = await openFileLogStore(tmp.dir);
        try {
          const size = store.size();
          const root = await store.rootAt(size);
          for (const [index, hashHex] of acked) {
            expect(index).toBeLessThan(size);
            expect(toHex(await store.leafHash(index))).toBe(hashHex);
            const proof = await store.inclusionProof(index, size);
            expect(verifyInclusion(fromHex(hashHex), index, size, proof, root)).toBe(true);
          }
          for (const earlier of roots) {
            const proof = await store.consistencyProof(earlier.size, size);
            expect(verifyConsistency(earlier.size, size, proof, earlier.root, root)).toBe(true);
          }
          roots.push({ size, root });
        } finally {
          await store.close();
        }
      }
      expect(totalAcked).toBeGreaterThan(rounds.length);
    }, 60_000);
});
