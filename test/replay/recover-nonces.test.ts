import { describe, expect, it } from 'vitest';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { nonceKey } from '../../src/replay/memory-nonce-store.js';
import { recoverNonces, type RecentEntriesReader } from '../../src/replay/recover-nonces.js';

const TOLERANCE = 300;
const NOW_MS = 1_800_000_000_000;

/** A log of decision entries, one per second ending at `NOW_MS`, each with its nonce. */
function logOf(count: number, spacingSeconds = 1): { log: RecentEntriesReader; nonces: string[] } {
  const entries = Array.from({ length: count }, (_, i) => {
    const seconds = NOW_MS / 1000 - (count - 1 - i) * spacingSeconds;
    return {
      entry: {
        v: 1,
        type: 'decision',
        time: new Date(seconds * 1000).toISOString(),
        id: `d${i}`,
        nonce: `sha256:${nonceKey('ci-main', `nonce-${i}-abcdefghijkl`)}`,
        timestamp: seconds,
      },
    };
  });
  return {
    nonces: entries.map((_, i) => `nonce-${i}-abcdefghijkl`),
    log: {
      size: () => entries.length,
      entries: (start, n) => Promise.resolve(entries.slice(start, start + n)),
    },
  };
}

function store() {
  return new MemoryAdmissionStore({ capacity: 100_000, toleranceSeconds: TOLERANCE });
}

const admit = (s: MemoryAdmissionStore, nonce: string, timestamp: number) =>
  s.admit({ clientId: 'ci-main', nonce, timestamp, nowMs: NOW_MS, ratePerMinute: undefined });

describe('recoverNonces', () => {
  it('restores every nonce of the window so each replay is refused', async () => {
    const { log, nonces } = logOf(400);
    const s = store();
    const result = await recoverNonces(log, s, { nowMs: NOW_MS, toleranceSeconds: TOLERANCE });
    expect(result.restored).toBeGreaterThan(0);
    // Nonces whose timestamp is still inside the window are refused as replays.
    for (let i = 400 - TOLERANCE; i < 400; i++) {
      const ts = NOW_MS / 1000 - (399 - i);
      expect(await admit(s, nonces[i]!, ts)).toEqual({ ok: false, code: 'replayed_nonce' });
    }
    expect(await admit(s, 'a-fresh-nonce-0123456789', NOW_MS / 1000)).toEqual({ ok: true });
  });

  it('stops reading at the first entry older than the window could need', async () => {
    const { log } = logOf(5000);
    const result = await recoverNonces(log, store(), {
      nowMs: NOW_MS,
      toleranceSeconds: TOLERANCE,
    });
    // 2 × tolerance + 60 s slack, one entry a second, plus the first older entry.
    expect(result.read).toBe(2 * TOLERANCE + 60 + 2);
  });

  it('fails closed when the read bound stops it before the window ends', async () => {
    const { log, nonces } = logOf(1000, 0.1);
    const s = store();
    await recoverNonces(log, s, { nowMs: NOW_MS, toleranceSeconds: TOLERANCE, maxEntries: 100 });
    // An unread (older) nonce cannot be replayed: its timestamp is at or under the mark.
    const ts = NOW_MS / 1000 - 50;
    expect(await admit(s, nonces[500]!, ts)).toEqual({
      ok: false,
      code: 'timestamp_out_of_range',
    });
  });

  it('ignores entries without a well-formed nonce', async () => {
    const log: RecentEntriesReader = {
      size: () => 3,
      entries: () =>
        Promise.resolve([
          { entry: { type: 'policy', time: new Date(NOW_MS).toISOString() } },
          { entry: { type: 'decision', nonce: 'sha256:zz', timestamp: 1 } },
          { entry: null },
        ]),
    };
    expect(
      await recoverNonces(log, store(), { nowMs: NOW_MS, toleranceSeconds: TOLERANCE }),
    ).toEqual({ read: 3, restored: 0 });
  });
});
