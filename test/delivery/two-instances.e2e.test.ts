import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tempDir, testClient } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { describeWithRedis, sharedRedis } from '../helpers/redis.js';
import { verifyWithLibrary, writeTargetsFile } from './e2e-support.js';
import { newSecret, startReceiver } from './receiver.js';

/**
 * Two gateway processes in Redis mode share one outbox (docs/protocol.md §11: any instance may send
 * a delivery, but never two at once). Events go to both; the receiver answers slowly and
 * counts requests per webhook-id in flight together.
 */
const EVENTS = 60;
const redis = await sharedRedis('dlv-two');
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
}, 60_000);

describeWithRedis(redis, 'two instances, one Redis outbox', () => {
  it('deliver each owed delivery once (one 2xx per webhook-id), never from both at once', async () => {
    const secret = newSecret();
    const rx = await startReceiver((_r, n) => ({ status: n % 4 === 0 ? 503 : 200, delayMs: 30 }));
    cleanup.push(() => rx.close());
    const client = testClient();
    const start = async (): Promise<GatewayProcess> => {
      const dir = tempDir('codex-dlv-two-');
      const g = await startGateway({
        dir,
        client,
        env: {
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
          GATEWAY_TARGETS_FILE: writeTargetsFile(dir, [
            { id: 'shared', url: rx.url, secrets: [secret], events: ['event.allowed'] },
          ]),
        },
        startTimeoutMs: 30_000,
      });
      cleanup.push(async () => {
        await g.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      return g;
    };
    const one = await start();
    const two = await start();
    const decisions = new Set<string>();
    await Promise.all(
      [one, two].map(async (g, k) => {
        for (let i = 0; i < EVENTS / 2; i++) {
          const res = await g.post('/v1/events', {
            ...buildEvent,
            steps: [{ name: `g${k}-${i}`, run: 'true' }],
          });
          expect(res.status).toBe(200);
          decisions.add(((await res.json()) as { id: string }).id);
        }
      }),
    );
    // Every fourth answer is a 503 (no Retry-After): those are retried within 5 s.
    await rx.waitFor(
      (rs) => new Set(rs.filter((_r, n) => n % 4 !== 0).map((r) => r.id)).size >= EVENTS,
      60_000,
    );
    expect(rx.maxConcurrentPerId).toBe(1);
    const delivered = rx.received.filter((_r, n) => n % 4 !== 0);
    // Delivered once each: no id answered 2xx twice.
    expect(delivered).toHaveLength(EVENTS);
    expect(new Set(delivered.map((r) => verifyWithLibrary(r, secret).data.decision))).toEqual(
      decisions,
    );
    // Both instances took part in sending (each counts its own attempts).
    const attempts = async (g: GatewayProcess): Promise<number> => {
      const text = await (await g.get('/metrics')).text();
      return [...text.matchAll(/^gateway_delivery_attempts_total\{[^}]*\} (\d+)/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    };
    // The receiver records a request when it arrives; the sender counts its attempt when the
    // (delayed) answer comes back, so the last counts may trail the receiver by one answer.
    let [a, b] = [0, 0];
    await expect
      .poll(
        async () => {
          [a, b] = [await attempts(one), await attempts(two)];
          return a + b;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(rx.received.length);
    console.log(`[two instances] attempts: ${a} + ${b} = ${rx.received.length} requests`);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  }, 120_000);
});
