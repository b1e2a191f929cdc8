#!/usr/bin/env node
/**
 * One autocannon run, in its own process so the load generator never shares an event loop
 * with the server it measures. Reads a JSON job from argv[2], prints one JSON result line.
 *
 * Signed runs: every request gets a fresh nonce and its own codex-sig/v1 signature inside
 * `setupRequest` (node:crypto HMAC over the short signed string; the body hash is computed
 * once because the body never changes). That costs the generator a few microseconds per
 * request, not the server.
 *
 * Job: { url, path, body (string), connections, durationSec, warmupSec?, overallRate?,
 *        sign?: { apiKey, secret } }
 */
import autocannon from 'autocannon';
import { createHash, createHmac, randomBytes } from 'node:crypto';

const job = JSON.parse(process.argv[2] ?? '{}');
const body = Buffer.from(job.body, 'utf8');
const bodySha256 = createHash('sha256').update(body).digest('hex');
const baseHeaders = { 'content-type': 'application/json' };

/** Fresh codex-sig/v1 headers for one request (docs/protocol.md §2). */
function signedHeaders() {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const canonical = `codex-sig/v1\n${timestamp}\n${nonce}\nPOST\n${job.path}\n${bodySha256}`;
  const mac = createHmac('sha256', job.sign.secret).update(canonical).digest('hex');
  return {
    ...baseHeaders,
    'x-api-key': job.sign.apiKey,
    'x-codex-timestamp': timestamp,
    'x-codex-nonce': nonce,
    'x-codex-sig': `v1=${mac}`,
  };
}

const request = { method: 'POST', path: job.path, body, headers: baseHeaders };
if (job.sign !== undefined) request.setupRequest = (req) => ({ ...req, headers: signedHeaders() });

const run = (duration) =>
  autocannon({
    url: job.url,
    connections: job.connections,
    duration,
    pipelining: 1,
    ...(job.overallRate === undefined ? {} : { overallRate: job.overallRate }),
    requests: [request],
  });
// A fresh process runs its first second or so on unoptimised code (signing, autocannon's
// own request loop), which holds back a fast target such as the echo more than a slow one;
// a warm-up run first, not recorded, takes that out of the figures.
const warmup = job.warmupSec > 0 ? await run(job.warmupSec) : undefined;
const result = await run(job.durationSec);

process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    requests: result.requests.total,
    warmupRequests: warmup?.requests.total ?? 0,
    durationSec: result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    status2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + '\n',
);
