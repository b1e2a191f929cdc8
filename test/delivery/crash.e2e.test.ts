import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { describeWithRedis, freePort, sharedRedis } from '../helpers/redis.js';
import { verifyWithLibrary, writeTargetsFile } from './e2e-support.js';
import { newSecret, startReceiver, type Received, type Receiver } from './receiver.js';

/**
 * At least once across kill -9 (docs/protocol.md §11, issue 15): events are answered 200 while the
 * target is unreachable (nothing listens on its port, so nothing can have been sent), the
 * gateway is killed with SIGKILL right after the last 200, the receiver comes up on that
 * port, the gateway restarts on the same data directory (or the same Redis), and every
 * owed delivery arrives, verified with the standardwebhooks package. Contract schedule:
 * the first retry comes within 5 s; a delivery the killed instance had claimed in Redis
 * is taken over once its 30 s lease lapses.
 */
const EVENTS = 10;
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

/**
 * `inFlight` false: nothing listens on the target's port until after the kill, so nothing
 * was delivered before it. `inFlight` true: the receiver listens from the start and holds
 * every request unanswered, so attempts are in flight when the gateway is killed; after
 * the kill it answers 200.
 */
async function crashAndRecover(env: Record<string, string>, inFlight: boolean) {
  const port = await freePort();
  let answering = false;
  const rx: Receiver | undefined = inFlight
    ? await startReceiver(() => (answering ? { status: 200 } : { hang: true }), port)
    : undefined;
  if (rx !== undefined) cleanup.push(() => rx.close());
  const secret = newSecret();
  const dir = tempDir('codex-dlv-crash-');
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const targets = writeTargetsFile(dir, [
    {
      id: 'down',
      url: `http://127.0.0.1:${port}/hook`,
      secrets: [secret],
      events: ['event.allowed'],
    },
  ]);
  const options = { dir, env: { ...env, GATEWAY_TARGETS_FILE: targets }, startTimeoutMs: 30_000 };
  const first = await startGateway(options);
  const killFirst = async () => {
    if (first.child.exitCode === null && first.child.signalCode === null)
      await first.stop('SIGKILL');
  };
  cleanup.push(killFirst);
  const decisions: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const res = await first.post('/v1/events', {
      ...buildEvent,
      steps: [{ name: `s${i}`, run: 'true' }],
    });
    expect(res.status).toBe(200);
    decisions.push(((await res.json()) as { id: string }).id);
  }
  if (rx !== undefined) await rx.waitFor((rs) => rs.length > 0, 10_000); // at least one attempt is in flight
  const hung = rx?.received.length ?? 0;
  await first.stop('SIGKILL'); // no clean shutdown: nothing is flushed or closed
  expect(first.child.signalCode).toBe('SIGKILL');
  const killedAt = Date.now();
  answering = true;

  const up: Receiver = rx ?? (await startReceiver(() => ({ status: 200 }), port));
  if (rx === undefined) cleanup.push(() => up.close());
  const second: GatewayProcess = await startGateway({ ...options, client: first.client });
  cleanup.push(() => second.stop());
  const restartedAt = Date.now();
  // File outbox: leases die with the process, so everything is due at once. Redis outbox:
  // a delivery claimed by the killed instance waits for its lease (30 s) to lapse.
  const after = (rs: readonly Received[]) => rs.filter((r) => r.at > killedAt);
  await up.waitFor((rs) => new Set(after(rs).map((r) => r.id)).size >= EVENTS, 60_000);
  const delivered = after(up.received).map((r) => verifyWithLibrary(r, secret).data.decision);
  expect(new Set(delivered)).toEqual(new Set(decisions));
  return { seconds: (Date.now() - restartedAt) / 1000, received: up.received.length, hung };
}

const report = (what: string, r: { seconds: number; received: number; hung: number }) =>
  console.log(
    `[crash] ${what}: ${EVENTS} delivered ${r.seconds.toFixed(1)} s after restart (${r.received} requests, ${r.hung} in flight at the kill)`,
  );

describe('deliveries survive kill -9, file outbox (memory mode)', () => {
  it(`sends all ${EVENTS} owed deliveries after a restart (target down at the kill)`, async () => {
    report('file outbox, target down', await crashAndRecover({}, false));
  }, 120_000);
  it(`sends all ${EVENTS} owed deliveries after a restart (attempts in flight at the kill)`, async () => {
    report('file outbox, in flight', await crashAndRecover({}, true));
  }, 120_000);
});

const redis = await sharedRedis('dlv-crash');
describeWithRedis(redis, 'deliveries survive kill -9, Redis outbox', () => {
  const env = (sub: string) => ({ REDIS_URL: redis.url, REDIS_PREFIX: `${redis.prefix}${sub}:` });
  it(`sends all ${EVENTS} owed deliveries after a restart (target down at the kill)`, async () => {
    report('redis outbox, target down', await crashAndRecover(env('down'), false));
  }, 120_000);
  it(`sends all ${EVENTS} owed deliveries after a restart (attempts in flight at the kill)`, async () => {
    report('redis outbox, in flight', await crashAndRecover(env('flight'), true));
  }, 120_000);
});
