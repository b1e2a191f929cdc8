import { serve } from '@hono/node-server';
import fc from 'fast-check';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEnv } from '../../src/http/env.js';
import { jsonAnswer } from '../../src/http/json-answer.js';
import { requestContext } from '../../src/http/request-context.js';
import { requestRecorder } from '../../src/http/request-record.js';
import { noopMetrics } from '../../src/metrics/metrics-port.js';

/**
 * jsonAnswer (issue 19), from text and from bytes, against what it replaced on `POST /v1/events`, `c.json(body,
 * status)` with the request-context middleware adding `X-Request-Id` afterwards: the same
 * request-context, the same body and status, served by @hono/node-server over a real
 * socket, must give byte-identical answers (status line, header names, case and order,
 * Content-Length, body), the Date header aside.
 */
let server: Server;
let port: number;
let next: { body: unknown; status: number } = { body: null, status: 200 };

beforeAll(async () => {
  const app = new Hono<GatewayEnv>();
  app.use('*', requestContext(requestRecorder(pino({ level: 'silent' }), noopMetrics)));
  app.post('/old', (c) => c.json(next.body, next.status as 200));
  app.post('/new', (c) => jsonAnswer(c, JSON.stringify(next.body), next.status));
  app.post('/bytes', (c) =>
    jsonAnswer(c, Buffer.from(JSON.stringify(next.body), 'utf8'), next.status),
  );
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The raw answer to `POST <path>`, Date header blanked. */
function raw(path: string, requestId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    socket.on('error', reject);
    socket.on('close', () =>
      resolve(got.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: -\r\n')),
    );
    socket.end(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: ${requestId}\r\n` +
        'Content-Length: 0\r\n\r\n',
    );
  });
}

describe('jsonAnswer gives the bytes c.json + the request-context header gave', () => {
  it('the receipt-shaped allow answer', async () => {
    next = {
      body: {
        decision: 'allow',
        id: 'a'.repeat(32),
        policy: `sha256:${'b'.repeat(64)}`,
        audit: { index: 7, leafHash: 'c'.repeat(64), checkpoint: 'o\n8\nx\n', proof: ['d'] },
      },
      status: 200,
    };
    const old = await raw('/old', 'request-id-0001');
    expect(old).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\n/);
    expect(old).toContain('\r\nx-request-id: request-id-0001\r\nContent-Length: ');
    expect(await raw('/new', 'request-id-0001')).toBe(old);
    expect(await raw('/bytes', 'request-id-0001')).toBe(old);
  });

  it('random JSON bodies (non-ASCII included) with 200 and 202', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.constantFrom(200, 202),
        fc.stringMatching(/^[A-Za-z0-9._-]{8,64}$/),
        async (body, status, id) => {
          next = { body, status };
          const old = await raw('/old', id);
          expect(await raw('/new', id)).toBe(old);
          expect(await raw('/bytes', id)).toBe(old);
        },
      ),
      { numRuns: 60 },
    );
  });
});
