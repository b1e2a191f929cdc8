import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { openPolicy, testClient } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { sample } from './scrape.js';

const tooManySteps = {
  ...buildEvent,
  steps: [
    { name: 'a', run: 'x' },
    { name: 'b', run: 'y' },
  ],
};

describe('GET /metrics on a real gateway process', () => {
  let gw: GatewayProcess;

  beforeAll(async () => {
    const client = testClient();
    gw = await startGateway({ client, policy: openPolicy([client.id], { maxSteps: 1 }) });
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(gw.dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { 'x-api-key': gw.client.apiKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it('counts 3 allows, 2 denies by max_steps and 1 replay with their labels', async () => {
    for (let i = 0; i < 3; i++) expect((await gw.post('/v1/events')).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await gw.post('/v1/events', tooManySteps)).status).toBe(403);
    const body = JSON.stringify(buildEvent);
    const headers = {
      'content-type': 'application/json',
      ...signRequest({
        apiKey: gw.client.apiKey,
        secret: gw.client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body,
      }),
    };
    // The first use is a fourth allow; the second is the replay.
    expect((await fetch(`${gw.url}/v1/events`, { method: 'POST', headers, body })).status).toBe(
      200,
    );
    expect((await fetch(`${gw.url}/v1/events`, { method: 'POST', headers, body })).status).toBe(
      409,
    );

    const text = await scrape();
    expect(sample(text, 'gateway_decisions_total', { outcome: 'allow', reason: 'none' })).toBe(4);
    expect(sample(text, 'gateway_decisions_total', { outcome: 'deny', reason: 'max_steps' })).toBe(
      2,
    );
    expect(sample(text, 'gateway_refusals_total', { code: 'replayed_nonce' })).toBe(1);
    expect(sample(text, 'gateway_refusals_total', { code: 'policy_denied' })).toBe(2);
    const events = { route: '/v1/events', method: 'POST' };
    expect(sample(text, 'gateway_http_requests_total', { ...events, status: '200' })).toBe(4);
    expect(sample(text, 'gateway_http_requests_total', { ...events, status: '403' })).toBe(2);
    expect(sample(text, 'gateway_http_requests_total', { ...events, status: '409' })).toBe(1);
    // Stage histograms: verify ran for all 7 signed requests, policy for the 6 admitted,
    // and the audit log took the 6 decisions.
    expect(sample(text, 'gateway_stage_duration_seconds_count', { stage: 'verify' })).toBe(7);
    expect(sample(text, 'gateway_stage_duration_seconds_count', { stage: 'policy' })).toBe(6);
    expect(
      sample(text, 'gateway_stage_duration_seconds_count', { stage: 'audit_append' }),
    ).toBeGreaterThanOrEqual(6);
    // Memory mode: 7 admitted nonces... minus the replay, which was refused: 6 remembered.
    expect(sample(text, 'gateway_nonce_store_size')).toBe(6);
    expect(sample(text, 'gateway_nonce_store_high_water_timestamp_seconds')).toBe(-1);
    // The log holds the policy activation at start plus the 6 decisions; nothing else.
    expect(sample(text, 'gateway_audit_tree_size')).toBe(7);
    // Batch metrics of the file log: every leaf in exactly one observed batch (the requests
    // were sequential, so one batch each), each with its wait for the disk.
    expect(sample(text, 'gateway_audit_batch_size_sum')).toBe(7);
    expect(sample(text, 'gateway_audit_batch_size_count')).toBe(7);
    expect(sample(text, 'gateway_audit_batch_commit_seconds_count')).toBe(7);
    expect(sample(text, 'gateway_audit_batch_commit_seconds_sum')).toBeGreaterThan(0);
    expect(text).not.toContain('gateway_audit_sequence_lock_wait_seconds');
    expect(text).toMatch(/^gateway_policy_info\{revision="sha256:[0-9a-f]{64}"\} 1$/m);
    expect(sample(text, 'gateway_policy_last_reload_failed')).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'gateway_event_loop_active_seconds_total')).toBeGreaterThan(0);
  });

  it('labels unknown paths as unmatched, so hostile paths cannot create series', async () => {
    for (const path of ['/nope', '/v1/events/../../etc', '/%00%ff'])
      expect((await fetch(`${gw.url}${path}`)).status).toBe(404);
    const text = await scrape();
    expect(sample(text, 'gateway_http_requests_total', { route: 'unmatched', status: '404' })).toBe(
      3,
    );
    expect(text).not.toContain('/nope');
  });

  it('records the time of the last checkpoint served', async () => {
    const before = Date.now() / 1000;
    expect((await gw.get('/v1/audit/checkpoint')).status).toBe(200);
    const at = sample(await scrape(), 'gateway_audit_last_checkpoint_timestamp_seconds');
    expect(at).toBeGreaterThanOrEqual(Math.floor(before));
    expect(at).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it('accepts the API key as Authorization: Bearer (Prometheus authorization setting)', async () => {
    const res = await fetch(`${gw.url}/metrics`, {
      headers: { authorization: `Bearer ${gw.client.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('gateway_http_requests_total');
  });

  it('refuses a scrape without a known API key', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${gw.url}/metrics`, { headers: { 'x-api-key': 'cgk_unknown' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
