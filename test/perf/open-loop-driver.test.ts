import { execFile } from 'node:child_process';
import { createHmac, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

/**
 * bench/open-loop-driver.mjs, the 50% phase's load generator, against a local server that
 * answers at once and checks every request's signature. Its latencies count from each
 * request's scheduled time, so the driver must send on time: a request it sends late
 * carries the driver's lateness into the server's p99.
 */
const DRIVER = path.join(repoRoot, 'bench/open-loop-driver.mjs');
const SECRET = 'cgs_test-secret';
const BODY = JSON.stringify({ action: 'build', target: 'acme/web' });
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');

let server: Server;
let url: string;
const nonces = new Set<string>();
let badSignatures = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const header = (name: string): string => String(req.headers[name] ?? '');
    const signed = `codex-sig/v1\n${header('x-codex-timestamp')}\n${header('x-codex-nonce')}\nPOST\n${req.url}\n${BODY_SHA256}`;
    const mac = createHmac('sha256', SECRET).update(signed).digest('hex');
    if (header('x-codex-sig') !== `v1=${mac}` || header('x-api-key') !== 'cgk_test')
      badSignatures++;
    nonces.add(header('x-codex-nonce'));
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface DriverResult {
  requests: number;
  status2xx: number;
  errors: number;
  timeouts: number;
  openLoop: {
    sentRate: number;
    warmupRequests: number;
    sendLagMs: { p50: number; p99: number; max: number };
  };
}

describe('open-loop driver', () => {
  it('sends every request of its schedule, signed, each close to its due time', async () => {
    const job = {
      url,
      path: '/v1/events',
      body: BODY,
      connections: 8,
      durationSec: 2,
      warmupSec: 0.2,
      overallRate: 500,
      sign: { apiKey: 'cgk_test', secret: SECRET },
    };
    const { stdout } = await promisify(execFile)(process.execPath, [DRIVER, JSON.stringify(job)]);
    const result = JSON.parse(stdout) as DriverResult;

    expect(result.requests).toBe(1000);
    expect(result.status2xx).toBe(1000);
    expect(result.errors + result.timeouts).toBe(0);
    expect(result.openLoop.warmupRequests).toBe(100);
    // Every request reached the server with a valid signature and a nonce of its own.
    expect(badSignatures).toBe(0);
    expect(nonces.size).toBe(1100);
    expect(result.openLoop.sentRate).toBeGreaterThan(490);
    // A request is due every 2 ms here and the server answers at once, so nothing but the
    // driver's own wake-up delays a send. Woken by a millisecond timer, the median request
    // went out about 0.5 ms late (measured: 0.51-0.52 ms at 2,000 req/s against the echo);
    // the ticker sends it within a tenth of that.
    expect(result.openLoop.sendLagMs.p50).toBeLessThan(0.25);
  });
});
