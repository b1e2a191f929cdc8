#!/usr/bin/env node
/**
 * Baseline for `npm run bench`: the thinnest useful Hono app on @hono/node-server. POST /
 * reads the whole body the ordinary Hono way (`c.req.arrayBuffer()`) and answers a small
 * JSON document with its length, so the gateway and the baseline both receive the same
 * bytes and both send a small answer (echoing 64 KiB back would flatter the gateway).
 *
 * Usage: PORT=<port> node bench/echo-server.mjs   (prints `listening <port>` when ready)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/', async (c) => {
  const body = await c.req.arrayBuffer();
  return c.json({ received: body.byteLength });
});
app.get('/healthz', (c) => c.json({ status: 'ok' }));

const server = serve(
  { fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) },
  (info) => {
    process.stdout.write(`listening ${info.port}\n`);
  },
);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
