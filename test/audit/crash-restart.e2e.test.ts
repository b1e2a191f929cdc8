import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/audit/checkpoint.js';
import { tempDir, testClient, openPolicy } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import {
  expectConsistent,
  expectIncluded,
  logVerifier,
  runAudit,
  signedCheckpoint,
  type Ack,
} from './e2e-support.js';

/** Kill points (ms of load before SIGKILL): fixed so runs are comparable, spread so they land mid-batch. */
const KILL_AFTER_MS = [180, 420, 90, 650];
const WORKERS = 8;

const dir = tempDir('codex-audit-crash-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The last byte of entries.log: 0 while the runway of zeros is there (left by a kill),
 * `}` (the last record's JSON) once a clean stop cut it.
 */
const lastEntriesByte = () => readFileSync(path.join(dir, 'data', 'audit', 'entries.log')).at(-1);

/** Concurrent signed events until the process dies; collects every acknowledged entry. */
async function loadUntilKilled(
  gw: GatewayProcess,
  round: number,
  killAfterMs: number,
  acks: Ack[],
  seen: Checkpoint[],
  verifier: Parameters<typeof signedCheckpoint>[1],
) {
  let alive = true;
  const worker = async (w: number) => {
    for (let i = 0; alive; i++) {
      const body = JSON.stringify({
        action: 'build',
        target: `acme/r${round}-w${w}-${i}`,
        steps: [],
      });
      try {
        const res = await gw.post('/v1/events', body);
        if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        const answer = (await res.json()) as { audit: { index: number; leafHash: string } };
        acks.push({ ...answer.audit, body });
      } catch (err) {
        if (alive) throw err; // a failure before the kill is a real failure
      }
    }
  };
  const checkpoints = (async () => {
    while (alive) {
      try {
        seen.push(await signedCheckpoint(gw, verifier));
      } catch (err) {
        if (alive) throw err;
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  const acked = acks.length;
  await new Promise((r) => setTimeout(r, killAfterMs));
  // On a loaded machine the timer can fire before the round has acknowledged anything:
  // wait (bounded) until it has, so every kill lands in the middle of acknowledged load.
  for (let waited = 0; acks.length - acked <= WORKERS && waited < 30_000; waited += 20)
    await new Promise((r) => setTimeout(r, 20));
  alive = false;
  expect(await gw.stop('SIGKILL')).toBe(null); // killed by the signal, not exited
  await Promise.all([...workers, checkpoints]);
}

describe('audit log under SIGKILL (real gateway process)', () => {
  it('keeps every acknowledged entry provable and every checkpoint consistent across kills', async () => {
    const client = testClient();
    const policy = openPolicy([client.id]);
    const acks: Ack[] = [];
    const checkpoints: Checkpoint[] = [];
    let vkey: string | undefined;
    for (let round = 0; round <= KILL_AFTER_MS.length; round++) {
      const gw = await startGateway({ client, policy, dir });
      const key = await logVerifier(gw);
      vkey ??= key.vkey;
      expect(key.vkey).toBe(vkey); // same log identity after every restart
      const cp = await signedCheckpoint(gw, key.verifier);
      expect(cp.size).toBeGreaterThanOrEqual(acks.length);
      await expectIncluded(gw, cp, acks);
      await expectConsistent(gw, cp, checkpoints);
      checkpoints.push(cp);
      const killAfter = KILL_AFTER_MS[round];
      if (killAfter === undefined) {
        const r = await runAudit([
          'verify',
          '--url',
          gw.url,
          '--api-key',
          client.apiKey,
          '--vkey',
          vkey,
          '--entries',
        ]);
        expect(r.code, r.err).toBe(0);
        await gw.stop();
        expect(lastEntriesByte()).toBe('}'.charCodeAt(0));
      } else {
        await loadUntilKilled(gw, round, killAfter, acks, checkpoints, key.verifier);
        // The kill left the runway behind the last record; the next start cuts it.
        expect(lastEntriesByte()).toBe(0);
      }
    }
    // Every round acknowledged something, and indices were never handed out twice.
    expect(acks.length).toBeGreaterThan(KILL_AFTER_MS.length * WORKERS);
    expect(new Set(acks.map((a) => a.index)).size).toBe(acks.length);
  }, 120_000);
});
