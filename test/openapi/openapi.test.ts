import { rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../src/app.js';
import { buildGateway, type Gateway } from '../../src/compose.js';
import { loadConfig } from '../../src/config/env.js';
import { eventSchema } from '../../src/events/event-schema.js';
import { approvalRequestSchema } from '../../src/http/bodies.js';
import { buildOpenApiDocument, openApiPath } from '../../src/http/openapi/build-document.js';
import { ROUTES } from '../../src/http/route-table.js';
import {
  openPolicy,
  tempDir,
  testClient,
  writeClientsFile,
  writePolicyFile,
} from '../helpers/credentials.js';
import { writeTargetsFile } from '../delivery/e2e-support.js';
import { newSecret } from '../delivery/receiver.js';

type Doc = { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };

describe('OpenAPI document', () => {
  let dir: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = tempDir('codex-openapi-');
    const client = testClient();
    const config = loadConfig({
      GATEWAY_CLIENTS_FILE: writeClientsFile(dir, [client]),
      GATEWAY_POLICY_FILE: writePolicyFile(dir, openPolicy([client.id])),
      GATEWAY_DATA_DIR: path.join(dir, 'data'),
      GATEWAY_LOG_ORIGIN: 'test.codex-gateway.local/log',
      // With a targets file every route of the table is served (/v1/deliveries too).
      GATEWAY_TARGETS_FILE: writeTargetsFile(dir, [
        {
          id: 'a',
          url: 'http://127.0.0.1:9/hook',
          secrets: [newSecret()],
          events: ['event.allowed'],
        },
      ]),
      LOG_LEVEL: 'silent',
    });
    gateway = await buildGateway(config, pino({ level: 'silent' }), () => {});
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents every route the app serves', () => {
    const app = createApp(gateway.deps);
    const doc = buildOpenApiDocument() as Doc;
    // Middleware is registered with method ALL; every real route has a concrete method.
    const routes = app.routes.filter((r) => r.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(5);
    const missing = routes
      .map((r) => `${r.method} ${openApiPath(r.path)}`)
      .filter((key) => {
        const [method, p] = key.split(' ') as [string, string];
        return doc.paths[p]?.[method.toLowerCase()] === undefined;
      });
    expect(missing).toEqual([]);
  });

  it('mounts every documented route, with the auth its table entry names', async () => {
    const app = createApp(gateway.deps);
    const mounted = new Set(
      app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`),
    );
    const doc = buildOpenApiDocument() as Doc;
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.length).toBe(ROUTES.length);
    const unmounted = ROUTES.filter((r) => !mounted.has(`${r.method.toUpperCase()} ${r.path}`)).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(unmounted).toEqual([]);
    // Every route that needs a key refuses a request without one, before its handler.
    for (const route of ROUTES.filter((r) => r.auth !== 'none')) {
      const path = route.path.replace(':id', '0'.repeat(32)).replace(':index', '0');
      const res = await app.request(path, { method: route.method.toUpperCase() });
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it('is served at GET /openapi.json without credentials, as OpenAPI 3.1', async () => {
    const res = await createApp(gateway.deps).request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/deploys/{id}/approvals');
  });

  it('takes request bodies from the schemas the routes validate with', () => {
    const doc = buildOpenApiDocument() as Doc;
    const bodyOf = (p: string): unknown =>
      (doc.paths[p]?.post?.requestBody as { content: Record<string, { schema: unknown }> }).content[
        'application/json'
      ]?.schema;
    const expected = (s: z.ZodType): unknown => {
      const { $schema: _d, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
      return rest;
    };
    expect(bodyOf('/v1/events')).toEqual(expected(eventSchema));
    expect(bodyOf('/v1/deploys/{id}/approvals')).toEqual(expected(approvalRequestSchema));
    // Spot-check that the conversion kept the protocol's constraints (docs/protocol.md §3).
    expect(JSON.stringify(bodyOf('/v1/events'))).toContain('^[a-z][a-z0-9_.-]{0,63}$');
    expect(bodyOf('/v1/events')).toMatchObject({ additionalProperties: false });
  });

  it('gives every operation at least one response and a security requirement', () => {
    const doc = buildOpenApiDocument() as Doc;
    for (const [p, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses as object).length, `${method} ${p}`).toBeGreaterThan(0);
        expect(Array.isArray(op.security), `${method} ${p}`).toBe(true);
      }
  });
});
