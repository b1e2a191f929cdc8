import { describe, expect, it } from 'vitest';
import { holdWhilePending } from '../../src/gateway/hold-deploy.js';
import { WaitSlots } from '../../src/gateway/wait-slots.js';
import { MemoryDeployWatch } from '../../src/quorum/deploy-watch.js';

describe('WaitSlots', () => {
  it('caps held requests per client, then in total, and frees each slot once', () => {
    const slots = new WaitSlots({ perClient: 2, total: 3 });
    const a1 = slots.acquire('a');
    const a2 = slots.acquire('a');
    expect(slots.acquire('a')).toEqual({ ok: false, full: 'client' });
    const b1 = slots.acquire('b');
    expect(slots.acquire('c')).toEqual({ ok: false, full: 'total' });
    expect(slots.held).toBe(3);
    if (!a1.ok || !a2.ok || !b1.ok) throw new Error('expected slots');
    a1.release();
    a1.release(); // a second release is a no-op
    expect(slots.held).toBe(2);
    expect(slots.acquire('c').ok).toBe(true);
  });
});

describe('holdWhilePending', () => {
  it('wakes on a notification and re-reads the store', async () => {
    const watch = new MemoryDeployWatch();
    let state = 'pending';
    const t0 = performance.now();
    const held = holdWhilePending({
      watch,
      id: 'd',
      waitMs: 10_000,
      read: () => Promise.resolve(state),
      isPending: (s) => s === 'pending',
      msUntilExpiry: () => 60_000,
    });
    await new Promise((r) => setTimeout(r, 50));
    state = 'approved';
    watch.notify('d');
    expect(await held).toBe('approved');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(watch.size).toBe(0); // every watcher was closed
  });

  it('returns the last reading at the deadline, on expiry, and on abort', async () => {
    const watch = new MemoryDeployWatch();
    const base = {
      watch,
      id: 'd',
      read: () => Promise.resolve('pending'),
      isPending: () => true,
    };
    const t0 = performance.now();
    expect(await holdWhilePending({ ...base, waitMs: 100, msUntilExpiry: () => 60_000 })).toBe(
      'pending',
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    const abort = new AbortController();
    const aborted = holdWhilePending({
      ...base,
      waitMs: 10_000,
      msUntilExpiry: () => 60_000,
      signal: abort.signal,
    });
    abort.abort();
    expect(await aborted).toBe('pending');
    let reads = 0;
    const expiring = await holdWhilePending({
      ...base,
      waitMs: 10_000,
      read: () => Promise.resolve(++reads > 1 ? 'expired' : 'pending'),
      isPending: (s: string) => s === 'pending',
      msUntilExpiry: () => 20,
    });
    expect(expiring).toBe('expired');
    expect(watch.size).toBe(0);
  });
});
