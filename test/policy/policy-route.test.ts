import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { PolicyProvider, PolicyStatus } from '../../src/policy/active-policy.js';
import { policyRoute } from '../../src/http/routes/policy-route.js';
import type { GatewayEnv } from '../../src/http/env.js';

function appWith(status: PolicyStatus): Hono<GatewayEnv> {
  const provider: PolicyProvider = { current: () => undefined, status: () => status };
  const app = new Hono<GatewayEnv>();
  app.get('/v1/policy', policyRoute(provider));
  return app;
}

describe('GET /v1/policy', () => {
  it('answers the provider status as JSON, uncached', async () => {
    const status = {
      revision: `sha256:${'a'.repeat(64)}`,
      activatedAt: '2026-11-21T20:00:00.000Z',
      lastError: 'deny.patterns[0].regex: nested quantifier',
      lastAttemptAt: '2026-11-21T20:01:00.000Z',
    };
    const res = await appWith(status).request('/v1/policy');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(status);
  });

  it('omits revision while no good policy was ever loaded', async () => {
    const res = await appWith({
      lastError: '(root): cannot read policy file: ENOENT',
      lastAttemptAt: 'x',
    }).request('/v1/policy');
    expect(await res.json()).toEqual({
      lastError: '(root): cannot read policy file: ENOENT',
      lastAttemptAt: 'x',
    });
  });
});
