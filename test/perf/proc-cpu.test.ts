import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
// @ts-expect-error: a plain ESM module of the bench, without type declarations
import { contextSwitches, cpuSeconds, minorFaults } from '../../bench/proc-cpu.mjs';

// The bench reads a server's CPU and context switches from Linux's /proc
// (bench/run.mjs); these readings are what its "CPU µs/req", "context switches per req" and
// "minor page faults per req" columns divide by the request count.
describe('bench /proc readers', () => {
  it('counts the context switches of this process: sleeping on timers adds some', async () => {
    const before = contextSwitches(process.pid);
    for (let i = 0; i < 5; i++) await sleep(5);
    const after = contextSwitches(process.pid);
    expect(after.all - before.all).toBeGreaterThanOrEqual(5);
    expect(after.mainPreempted).toBeGreaterThanOrEqual(before.mainPreempted);
  });

  it('reads user CPU time that grows while the thread computes', () => {
    const before = cpuSeconds('/proc/thread-self/stat');
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const after = cpuSeconds('/proc/thread-self/stat');
    expect(x).toBeGreaterThan(0);
    expect(after.user + after.system).toBeGreaterThan(before.user + before.system);
  });

  it('counts minor page faults: touching 32 MiB of freshly mapped memory adds some', () => {
    const before = minorFaults(process.pid);
    // Zero-filled memory this large is mapped on demand: the fill touches every page (even
    // with 2 MiB transparent huge pages that is 16 faults).
    const fresh = Buffer.alloc(32 * 1024 * 1024);
    fresh.fill(1);
    const after = minorFaults(process.pid);
    expect(fresh[fresh.length - 1]).toBe(1);
    expect(after - before).toBeGreaterThanOrEqual(16);
  });

  it('throws for a process that does not exist', () => {
    expect(() => contextSwitches(2 ** 30)).toThrow();
    expect(() => minorFaults(2 ** 30)).toThrow();
  });
});
