import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { repoRoot } from '../helpers/paths.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';

/**
 * A dependency that subclasses String (ioredis' VerbatimString) turns String.prototype
 * into a slow dictionary-mode object for the whole process (issue 19: every string
 * operation 2.5–3× slower). A real gateway process, with a probe preloaded, reports V8's
 * own view after serving a real event, in memory mode and in Redis mode.
 */
const probe = path.join(repoRoot, 'test/perf/string-prototype-probe.mjs');
const redis = await sharedRedis('string-prototype');
const started: GatewayProcess[] = [];
afterAll(() => Promise.all(started.map((g) => g.stop())));

interface ProbeReport {
  fast: boolean;
  ioredisLoaded: boolean;
}

async function probeAfterOneEvent(env: Record<string, string> = {}): Promise<ProbeReport> {
  const gateway = await startGateway({
    env,
    nodeArgs: ['--allow-natives-syntax', '--import', probe],
    startTimeoutMs: 30_000,
  });
  started.push(gateway);
  expect((await gateway.post('/v1/events')).status).toBe(200);
  const seen = gateway.output.length;
  gateway.child.kill('SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 20) {
    const line = gateway.output.slice(seen).find((l) => l.includes('"probe":"string-prototype"'));
    if (line !== undefined) return JSON.parse(line) as ProbeReport;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the probe did not answer:\n${gateway.output.join('\n')}`);
}

it('memory mode never loads ioredis and keeps String.prototype fast', async () => {
  expect(await probeAfterOneEvent()).toMatchObject({ fast: true, ioredisLoaded: false });
}, 60_000);

describeWithRedis(redis, 'Redis mode', () => {
  it('loads ioredis and still keeps String.prototype fast', async () => {
    const report = await probeAfterOneEvent({ REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix });
    expect(report).toMatchObject({ fast: true, ioredisLoaded: true });
  }, 60_000);
});
