import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/credentials.js';
import { verifyWithLibrary, writeTargetsFile, type DeliveryBody } from './e2e-support.js';
import { newSecret, startReceiver } from './receiver.js';

/**
 * Deliveries through a real gateway process (docs/protocol.md §11): targets file, durable outbox,
 * dispatcher, signed POSTs to real receivers verified with the published standardwebhooks
 * package, and the `delivery` audit entry of each final outcome.
 */

const open: Array<{ close(): Promise<unknown> } | GatewayProcess> = [];
afterAll(async () => {
  for (const x of open.splice(0))
    await ('stop' in x ? x.stop('SIGKILL') : x.close()).catch(() => undefined);
});

interface Entry {
  type: string;
  id?: string;
  target?: string;
  decision?: string;
  outcome?: string;
  attempts?: number;
  status?: number | null;
}

async function auditEntries(g: GatewayProcess): Promise<Entry[]> {
  const note = await (await g.get('/v1/audit/checkpoint')).text();
  const size = Number(note.split('\n')[1]);
  const out: Entry[] = [];
  for (let start = 0; start < size; start += 256) {
    const count = Math.min(256, size - start);
    const res = await g.get(`/v1/audit/entries?start=${start}&count=${count}`);
    const body = (await res.json()) as { entries: { entry: Entry }[] };
    out.push(...body.entries.map((e) => e.entry));
  }
  return out;
}

describe('deliveries from a gateway process', () => {
  it('sends event.allowed, signed with every secret of a rotation, to the targets that subscribe', async () => {
    const rotating = [newSecret(32), newSecret(24)];
    const builds = await startReceiver();
    const deploysOnly = await startReceiver();
    open.push(builds, deploysOnly);
    const dir = tempDir('codex-dlv-e2e-');
    const targetsFile = writeTargetsFile(dir, [
      {
        id: 'builds',
        url: builds.url,
        secrets: rotating,
        events: ['event.allowed'],
        actions: ['build'],
      },
      { id: 'deploys', url: deploysOnly.url, secrets: [newSecret()], events: ['deploy.approved'] },
    ]);
    const g = await startGateway({
      dir,
      env: { GATEWAY_TARGETS_FILE: targetsFile },
      startTimeoutMs: 30_000,
    });
    open.push(g);

    const allowed = await g.post('/v1/events', buildEvent);
    expect(allowed.status).toBe(200);
    const answer = (await allowed.json()) as { id: string; audit: { index: number } };
    // An allowed event of another action: no target subscribes, nothing is owed.
    expect((await g.post('/v1/events', { ...buildEvent, action: 'test' })).status).toBe(200);

    await builds.waitFor((r) => r.length >= 1, 20_000);
    const [r] = builds.received;
    // Every secret of the rotation verifies on its own with the official library.
    let body: DeliveryBody | undefined;
    for (const secret of rotating) body = verifyWithLibrary(r!, secret);
    // And with node:crypto from §11 alone: one `v1,` signature per secret, in file order.
    const sent = r!.signature.split(' ').map((e) => Buffer.from(e.slice(3), 'base64'));
    rotating.forEach((secret, i) => {
      const mac = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
        .update(`${r!.id}.${r!.timestamp}.${r!.body}`)
        .digest();
      expect(r!.signature.split(' ')[i]!.startsWith('v1,')).toBe(true);
      expect(timingSafeEqual(sent[i]!, mac)).toBe(true);
    });
    expect(r!.signature.split(' ')).toHaveLength(2);
    expect(r!.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(body!.type).toBe('event.allowed');
    expect(body!.data).toMatchObject({
      decision: answer.id,
      client: g.client.id,
      action: 'build',
      target: buildEvent.target,
      event: buildEvent,
      audit: answer.audit,
    });
    expect(body!.data.request).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The final outcome is audited as a `delivery` entry (docs/protocol.md §11).
    await expect
      .poll(async () => (await auditEntries(g)).filter((e) => e.type === 'delivery'), {
        timeout: 10_000,
      })
      .toEqual([
        expect.objectContaining({
          id: r!.id,
          target: 'builds',
          decision: answer.id,
          outcome: 'delivered',
          attempts: 1,
          status: 200,
        }),
      ]);
    await new Promise((res) => setTimeout(res, 700)); // a poll or two later: nothing else sent
    expect(builds.received).toHaveLength(1);
    expect(deploysOnly.received).toHaveLength(0);
  });

  it('refuses to start on a targets file with a wrong mode, in one line', async () => {
    const dir = tempDir('codex-dlv-e2e-');
    const file = writeTargetsFile(
      dir,
      [{ id: 'a', url: 'http://127.0.0.1:9/x', secrets: [newSecret()], events: ['event.allowed'] }],
      0o644,
    );
    const err = await startGateway({
      dir,
      env: { GATEWAY_TARGETS_FILE: file },
      startTimeoutMs: 30_000,
    }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/GATEWAY_TARGETS_FILE: .*readable by group or others/);
  });
});
