import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryView } from '../../src/delivery/delivery.js';
import { buildEvent } from '../helpers/gateway-process.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { testClient } from '../helpers/credentials.js';
import { verifyWithLibrary } from './e2e-support.js';
import { startInProcessGateway, type InProcessGateway } from './in-process-gateway.js';
import { newSecret, startReceiver, type Receiver } from './receiver.js';

/**
 * The operator's side of deliveries (docs/protocol.md §11, §15) on the real app over TCP, with a
 * fast retry schedule (3 tries, first retry within 50 ms, at most 2 s apart): dead
 * letters, retry by route and by the CLI, Retry-After, redirects, metrics, audit.
 */
const operator = testClient('ops');
const reader = testClient('reader', ['audit:read', 'events:write']);
const secret = newSecret();
let flaky: Receiver;
let redirecting: Receiver;
let elsewhere: Receiver;
let g: InProcessGateway;
/** How the flaky receiver answers: 200, always 500, or 429 Retry-After: 1 to a first try. */
let mode: 'ok' | 'fail' | 'retry-after' = 'ok';

beforeAll(async () => {
  flaky = await startReceiver((r) => {
    if (mode === 'fail') return { status: 500 };
    const first = flaky.received.filter((x) => x.id === r.id).length === 1;
    if (mode === 'retry-after' && first) return { status: 429, headers: { 'retry-after': '1' } };
    return { status: 200 };
  });
  elsewhere = await startReceiver();
  redirecting = await startReceiver(() => ({
    status: 302,
    headers: { location: elsewhere.url },
  }));
  g = await startInProcessGateway({
    clients: [operator, reader],
    targets: [
      {
        id: 'flaky',
        url: flaky.url,
        secrets: [secret],
        events: ['event.allowed'],
        actions: ['build'],
      },
      {
        id: 'moved',
        url: redirecting.url,
        secrets: [newSecret()],
        events: ['event.allowed'],
        actions: ['test'],
      },
    ],
    overrides: {
      deliverySchedule: { baseMs: 50, capMs: 2_000, maxAttempts: 3, maxAgeMs: 60_000 },
      deliveryPollMs: 20,
    },
  });
}, 60_000);
afterAll(async () => {
  await g?.close();
  await Promise.allSettled([flaky, redirecting, elsewhere].map((r) => r?.close()));
});

async function list(state: string): Promise<DeliveryView[]> {
  const res = await g.get(`/v1/deliveries?state=${state}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: DeliveryView[] }).deliveries;
}

/** The delivery of `decision`, whatever its state (a fast schedule may have moved it on). */
async function recorded(decision: string): Promise<DeliveryView | undefined> {
  for (const state of ['pending', 'dead', 'delivered']) {
    const found = (await list(state)).find((d) => d.decision === decision);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Sends an allowed event; resolves to its decision id. */
async function allow(action = 'build'): Promise<string> {
  const res = await g.post('/v1/events', { ...buildEvent, action });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function deadDelivery(): Promise<DeliveryView> {
  mode = 'fail';
  try {
    const decision = await allow();
    // Listed as soon as the 200 is answered: the delivery was recorded before it.
    const owed = await recorded(decision);
    expect(owed).toBeDefined();
    await expect
      .poll(async () => (await list('dead')).find((d) => d.id === owed!.id), { timeout: 15_000 })
      .toMatchObject({ state: 'dead', attempts: 3, lastStatus: 500, nextAttemptAt: null });
    return owed!;
  } finally {
    mode = 'ok';
  }
}

const cli = (args: string[]) =>
  runCliProcess(args, {
    env: { CODEX_GATEWAY_URL: g.url, CODEX_API_KEY: operator.apiKey },
    timeoutMs: 30_000,
  });

describe('dead letters and their retry', () => {
  it('dead after the last try, audited; put back by the route; delivered with the same webhook-id', async () => {
    const dead = await deadDelivery();
    const attemptsBefore = flaky.received.filter((r) => r.id === dead.id).length;
    expect(attemptsBefore).toBe(3);

    // Scopes (docs/protocol.md §11, §15): audit:read lists, only deliveries:write retries.
    const denied = await fetch(`${g.url}/v1/deliveries/${dead.id}/retry`, {
      method: 'POST',
      headers: { 'x-api-key': reader.apiKey },
    });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: string }).code).toBe('insufficient_scope');
    expect((await g.get('/v1/deliveries?state=dead', reader)).status).toBe(200);

    const retried = await fetch(`${g.url}/v1/deliveries/${dead.id}/retry`, {
      method: 'POST',
      headers: { 'x-api-key': operator.apiKey },
    });
    expect(retried.status).toBe(200);
    await expect
      .poll(async () => (await list('delivered')).find((d) => d.id === dead.id), {
        timeout: 10_000,
      })
      .toMatchObject({ attempts: 1, lastStatus: 200 });
    const all = flaky.received.filter((r) => r.id === dead.id);
    expect(all).toHaveLength(4);
    // Every attempt: the same id and the same body, each signature valid for its timestamp.
    expect(new Set(all.map((r) => r.body)).size).toBe(1);
    for (const r of all) expect(verifyWithLibrary(r, secret).data.decision).toBe(dead.decision);

    // A delivered delivery is not dead: 409; an unknown or malformed id: 404.
    const again = await fetch(`${g.url}/v1/deliveries/${dead.id}/retry`, {
      method: 'POST',
      headers: { 'x-api-key': operator.apiKey },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('delivery_not_dead');
    for (const id of [`msg_${'0'.repeat(32)}`, 'nope', `msg_${'A'.repeat(32)}`]) {
      const res = await fetch(`${g.url}/v1/deliveries/${id}/retry`, {
        method: 'POST',
        headers: { 'x-api-key': operator.apiKey },
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('unknown_delivery');
    }
    for (const bad of ['x', 'DEAD', 'pending&state=dead'])
      expect((await g.get(`/v1/deliveries?state=${bad}`)).status).toBe(400);
    expect((await g.get('/v1/deliveries?state=dead&limit=0')).status).toBe(400);

    // Both final outcomes are audited, in order: dead (3 tries, 500), delivered (1 try, 200).
    const entries = await auditDeliveries();
    expect(entries.filter((e) => e.id === dead.id)).toEqual([
      expect.objectContaining({ outcome: 'dead', attempts: 3, status: 500, target: 'flaky' }),
      expect.objectContaining({ outcome: 'delivered', attempts: 1, status: 200 }),
    ]);
  }, 60_000);

  it('lists and retries through the CLI', async () => {
    const dead = await deadDelivery();
    const listed = await cli(['deliveries', 'list', '--state', 'dead']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`${dead.id}\\s+flaky\\s+event\\.allowed\\s+dead\\s+3\\s+500`),
    );
    const retried = await cli(['deliveries', 'retry', dead.id]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toBe(`${dead.id} pending\n`);
    await expect
      .poll(async () => (await list('delivered')).some((d) => d.id === dead.id), {
        timeout: 10_000,
      })
      .toBe(true);
    const notDead = await cli(['deliveries', 'retry', dead.id]);
    expect(notDead.code).toBe(1);
    expect(notDead.stderr).toMatch(/409 delivery_not_dead/);
    expect((await cli(['deliveries', 'retry', 'msg_x'])).code).toBe(2);
    const json = await cli(['deliveries', 'list', '--state', 'delivered', '--json']);
    expect(JSON.parse(json.stdout).deliveries.some((d: DeliveryView) => d.id === dead.id)).toBe(
      true,
    );
  }, 60_000);
});

describe('attempts', () => {
  it('honours Retry-After on 429 (seconds), then delivers', async () => {
    mode = 'retry-after';
    let id: string;
    try {
      const decision = await allow();
      id = (await recorded(decision))!.id;
      await flaky.waitFor((rs) => rs.filter((r) => r.id === id).length >= 2, 15_000);
    } finally {
      mode = 'ok';
    }
    const times = flaky.received.filter((r) => r.id === id).map((r) => r.at);
    // The base delay is ≤ 50 ms: only the hint explains a gap of a second or more.
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
  }, 30_000);

  it('does not follow redirects: a 3xx is a failed attempt and the other host hears nothing', async () => {
    const decision = await allow('test');
    await expect
      .poll(async () => (await list('dead')).find((d) => d.decision === decision), {
        timeout: 15_000,
      })
      .toMatchObject({ target: 'moved', attempts: 3, lastStatus: 302 });
    expect(redirecting.received.length).toBe(3);
    expect(elsewhere.received).toHaveLength(0);
  }, 30_000);

  it('exports delivery metrics: outcomes, attempts, queue depth, oldest pending age, held targets', async () => {
    const res = await g.get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^gateway_deliveries_total\{outcome="delivered"\} [1-9]/m);
    expect(text).toMatch(/^gateway_deliveries_total\{outcome="dead"\} [1-9]/m);
    expect(text).toMatch(/^gateway_delivery_attempts_total\{result="http_error"\} [1-9]/m);
    expect(text).toMatch(/^gateway_delivery_attempts_total\{result="success"\} [1-9]/m);
    expect(text).toMatch(/^gateway_delivery_queue_depth \d+/m);
    expect(text).toMatch(/^gateway_delivery_oldest_pending_age_seconds [\d.e+-]+/m);
    // One series per target of the file; a 3xx is an answer, so `moved` is never held.
    expect(text).toMatch(/^gateway_delivery_target_unavailable\{target="moved"\} 0$/m);
  });
});

interface Entry {
  type: string;
  id: string;
  target: string;
  outcome: string;
  attempts: number;
  status: number | null;
}

async function auditDeliveries(): Promise<Entry[]> {
  const note = await (await g.get('/v1/audit/checkpoint')).text();
  const size = Number(note.split('\n')[1]);
  const out: Entry[] = [];
  for (let start = 0; start < size; start += 256) {
    const res = await g.get(
      `/v1/audit/entries?start=${start}&count=${Math.min(256, size - start)}`,
    );
    out.push(
      ...((await res.json()) as { entries: { entry: Entry }[] }).entries.map((e) => e.entry),
    );
  }
  return out.filter((e) => e.type === 'delivery');
}
