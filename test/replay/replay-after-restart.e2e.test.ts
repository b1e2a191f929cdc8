import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { openPolicy, tempDir, testClient } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

/**
 * docs/protocol.md §16 (§2 check 6): no replay may ever succeed, also not after a restart or a
 * crash. Before the fix the in-memory nonce store started empty, so a request captured in
 * the last `tolerance` seconds was accepted again after a restart and a second `allow`
 * entered the audit log. The gateway now reads the nonces of the current window back from
 * its durable audit log before it admits the first request.
 */
describe('a captured request replayed after a restart (memory mode)', () => {
  const started: GatewayProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    // A child killed by a signal has signalCode set and exitCode null: never wait on it again.
    const alive = started
      .splice(0)
      .filter((gw) => gw.child.exitCode === null && gw.child.signalCode === null);
    await Promise.all(alive.map((gw) => gw.stop('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function capturedThenRestarted(signal: NodeJS.Signals) {
    const dir = tempDir('codex-replay-');
    dirs.push(dir);
    const client = testClient();
    const policy = openPolicy([client.id]);
    const first = await startGateway({ dir, client, policy });
    started.push(first);
    // What an attacker on the path records: the exact bytes and headers of a signed event.
    const body = JSON.stringify(buildEvent);
    const headers = {
      'content-type': 'application/json',
      ...signRequest({
        apiKey: client.apiKey,
        secret: client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body,
      }),
    };
    const send = (gw: GatewayProcess) =>
      fetch(`${gw.url}/v1/events`, { method: 'POST', headers, body });
    const original = await send(first);
    expect(original.status).toBe(200);
    await first.stop(signal);
    const second = await startGateway({ dir, client, policy });
    started.push(second);
    return { second, send };
  }

  async function auditSize(gw: GatewayProcess): Promise<number> {
    const note = await (await gw.get('/v1/audit/checkpoint')).text();
    return Number(note.split('\n')[1]);
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const)
    it(`refuses the replay with 409 replayed_nonce after ${signal} and appends nothing`, async () => {
      const { second, send } = await capturedThenRestarted(signal);
      const before = await auditSize(second);
      const replay = await send(second);
      expect(replay.status).toBe(409);
      expect(((await replay.json()) as { code: string }).code).toBe('replayed_nonce');
      expect(await auditSize(second)).toBe(before);
      // Fresh requests are still accepted right after the start.
      const fresh = await second.post('/v1/events');
      expect(fresh.status).toBe(200);
    }, 120_000);
});
