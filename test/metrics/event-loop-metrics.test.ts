import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { sample } from './scrape.js';

const ACTIVE = 'gateway_event_loop_active_seconds_total';

async function activeSeconds(render: () => Promise<{ body: string }>): Promise<number> {
  const value = sample((await render()).body, ACTIVE);
  if (value === undefined) throw new Error(`${ACTIVE} not exported`);
  return value;
}

describe('gateway_event_loop_active_seconds_total', () => {
  it('counts time the loop is blocked in a synchronous call, not time it waits for I/O', async () => {
    const { render } = createPrometheusMetrics({}, { processMetrics: true });
    const start = await activeSeconds(render);
    // Blocked without using the CPU, as in an fdatasync made on the loop: CPU time would
    // not see this, the loop's utilisation does.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const afterBlock = await activeSeconds(render);
    expect(afterBlock - start).toBeGreaterThanOrEqual(0.29);
    // Waiting for a timer is the loop's idle wait.
    await sleep(300);
    const afterIdle = await activeSeconds(render);
    expect(afterIdle - afterBlock).toBeLessThan(0.15);
  });

  it('is left out without process metrics (unit-test registries)', async () => {
    const { render } = createPrometheusMetrics();
    expect((await render()).body).not.toContain(ACTIVE);
  });
});
