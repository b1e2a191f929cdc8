import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { buildClientRegistry } from '../../src/config/clients.js';
import { problemResponse } from '../../src/http/problem.js';
import { isGatewayError } from '../../src/errors.js';
import type { GatewayEnv } from '../../src/http/env.js';
import { metricsRoute } from '../../src/http/routes/metrics-route.js';
import { keyAuth } from '../../src/http/auth.js';
import { createPrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { testClient } from '../helpers/credentials.js';
import { sample } from './scrape.js';

const scraper = testClient('scraper', ['metrics:read']);
const sender = testClient('ci-main', ['events:write', 'approvals:write', 'audit:read']);

function appWith(render = createPrometheusMetrics().render) {
  const clients = buildClientRegistry(
    { clients: [scraper.entry, sender.entry] },
    { production: true },
  );
  const app = new Hono<GatewayEnv>();
  app.get('/metrics', keyAuth(clients, ['metrics:read'], { bearer: true }), metricsRoute(render));
  app.onError((err) => {
    if (!isGatewayError(err)) throw err;
    return problemResponse(err, undefined);
  });
  return app;
}

describe('metricsRoute', () => {
  it('serves a client holding metrics:read', async () => {
    const res = await appWith().request('/metrics', { headers: { 'x-api-key': scraper.apiKey } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE gateway_decisions_total counter');
  });

  it('refuses a client without metrics:read with 403 insufficient_scope', async () => {
    const res = await appWith().request('/metrics', { headers: { 'x-api-key': sender.apiKey } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('insufficient_scope');
  });

  it('ignores a malformed Authorization header (401, not a crash)', async () => {
    for (const value of [
      'Bearer',
      'Basic abc',
      `Bearer ${scraper.apiKey} extra`,
      'Bearer \u0001',
    ]) {
      const res = await appWith().request('/metrics', { headers: { authorization: value } });
      expect(res.status).toBe(401);
    }
  });
});

describe('createPrometheusMetrics', () => {
  it('records decisions per reason, refusals, stages and bounded method labels', async () => {
    const p = createPrometheusMetrics();
    p.metrics.decision('deny', ['max_steps', 'deny_emoji']);
    p.metrics.decision('allow', []);
    p.metrics.refusal('replayed_nonce');
    p.metrics.stage('verify', 0.0002);
    p.metrics.request('unmatched', 'BREW', 404, 0.001);
    const text = (await p.render()).body;
    expect(sample(text, 'gateway_decisions_total', { outcome: 'deny', reason: 'max_steps' })).toBe(
      1,
    );
    expect(sample(text, 'gateway_decisions_total', { outcome: 'deny', reason: 'deny_emoji' })).toBe(
      1,
    );
    expect(sample(text, 'gateway_decisions_total', { outcome: 'allow', reason: 'none' })).toBe(1);
    expect(sample(text, 'gateway_refusals_total', { code: 'replayed_nonce' })).toBe(1);
    expect(
      sample(text, 'gateway_stage_duration_seconds_bucket', { stage: 'verify', le: '0.00025' }),
    ).toBe(1);
    expect(sample(text, 'gateway_http_requests_total', { method: 'OTHER', status: '404' })).toBe(1);
  });

  it('reads gauge sources at scrape time and skips a source that throws', async () => {
    let size = 5;
    const p = createPrometheusMetrics({
      nonceStore: () => ({ size, capacity: 10, highWaterTimestamp: 1_700_000_000 }),
      auditLog: () => ({ size: 42 }),
      policy: () => ({ revision: 'sha256:ab', lastReloadFailed: true, reloadFailures: 3 }),
      redisUp: () => Promise.reject(new Error('down')),
    });
    size = 7;
    p.metrics.checkpoint(1_700_000_000_500);
    const text = (await p.render()).body;
    expect(sample(text, 'gateway_nonce_store_size')).toBe(7);
    expect(sample(text, 'gateway_nonce_store_capacity')).toBe(10);
    expect(sample(text, 'gateway_nonce_store_high_water_timestamp_seconds')).toBe(1_700_000_000);
    expect(sample(text, 'gateway_audit_tree_size')).toBe(42);
    expect(sample(text, 'gateway_audit_last_checkpoint_timestamp_seconds')).toBe(1_700_000_000.5);
    expect(sample(text, 'gateway_policy_info', { revision: 'sha256:ab' })).toBe(1);
    expect(sample(text, 'gateway_policy_last_reload_failed')).toBe(1);
    expect(sample(text, 'gateway_policy_reload_failures_total')).toBe(3);
    // A rejecting Redis probe reads as down, never as an error of the scrape.
    expect(sample(text, 'gateway_redis_up')).toBe(0);
  });
});
