import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Flusher, POOL_AFTER_SLOW_MS, SLOW_FLUSH_MS } from '../../src/audit/storage/flusher.js';
import { tempDir } from './fixtures/temp-log.js';

/**
 * Where the file log's fdatasyncs run (storage/flusher.ts). Every flush here is a real
 * fdatasync of a real file; a slow disk cannot be made on demand, so the tests that need
 * one give the flusher a clock that the flush itself moves on.
 */
describe('Flusher', () => {
  let tmp: ReturnType<typeof tempDir>;
  let fd: number;

  beforeEach(() => {
    tmp = tempDir();
    fd = openSync(join(tmp.dir, 'data'), 'w+');
    writeSync(fd, 'written, not yet durable');
  });
  afterEach(() => {
    closeSync(fd);
    tmp.remove();
  });

  /** A clock in ms and an inline flush that takes `flushMs()` of it, counting its calls. */
  function timedDisk(flushMs: (call: number) => number) {
    const clock = { now: 0, inlineFlushes: 0 };
    const syncNow = (f: number) => {
      fdatasyncSync(f);
      clock.now += flushMs(clock.inlineFlushes++);
    };
    return { clock, options: { cores: 1, now: () => clock.now, syncNow } };
  }

  for (const mode of ['pool', 'inline'] as const) {
    it(`${mode}: resolves after the fdatasync, and rejects with its error`, async () => {
      const flusher = new Flusher(mode);
      expect(flusher.inline).toBe(mode === 'inline');
      await expect(flusher.sync(fd)).resolves.toBeUndefined();
      const closed = openSync(join(tmp.dir, 'closed'), 'w');
      closeSync(closed);
      // An error never escapes synchronously: the caller awaits it like a pool flush.
      const failing = flusher.sync(closed);
      await expect(failing).rejects.toMatchObject({ code: 'EBADF' });
    });
  }

  it('auto with several CPUs flushes on the pool, however fast the disk', async () => {
    const disk = timedDisk(() => 0.1);
    const flusher = new Flusher('auto', { ...disk.options, cores: 2 });
    for (let i = 0; i < 20; i++) await flusher.sync(fd);
    expect(flusher.inline).toBe(false);
    expect(disk.clock.inlineFlushes).toBe(0);
  });

  it('auto with one CPU flushes inline while the disk is fast, rare slow flushes included', async () => {
    // 0.2 ms flushes, with one of 20 ms (seen on fast disks too) every 100.
    const disk = timedDisk((call) => (call % 100 === 50 ? 20 : 0.2));
    const flusher = new Flusher('auto', disk.options);
    for (let i = 0; i < 500; i++) await flusher.sync(fd);
    expect(disk.clock.inlineFlushes).toBe(500);
    expect(flusher.inline).toBe(true);
  });

  it('auto with one CPU moves to the pool when the disk is slow, and measures again later', async () => {
    const disk = timedDisk(() => 3 * SLOW_FLUSH_MS);
    const flusher = new Flusher('auto', disk.options);
    let flushes = 0;
    while (flusher.inline) {
      await flusher.sync(fd);
      flushes += 1;
      expect(flushes).toBeLessThanOrEqual(10);
    }
    expect(flushes).toBeGreaterThan(1);
    // On the pool: the real asynchronous fdatasync, not the inline one.
    const before = disk.clock.inlineFlushes;
    for (let i = 0; i < 5; i++) await flusher.sync(fd);
    expect(disk.clock.inlineFlushes).toBe(before);
    disk.clock.now += POOL_AFTER_SLOW_MS;
    expect(flusher.inline).toBe(true);
    await flusher.sync(fd);
    expect(disk.clock.inlineFlushes).toBe(before + 1);
  });
});
