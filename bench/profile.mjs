#!/usr/bin/env node
/**
 * `npm run bench:profile [-- 1KiB|64KiB] [redis]`: where the gateway's main-thread CPU goes.
 * Starts dist/main.js (memory mode, or Redis mode with `redis`: against a redis-server of
 * its own, bench/private-redis.mjs, or REDIS_URL when set, whose keys under the run's
 * prefix are deleted afterwards) under V8's sampling
 * profiler (--cpu-prof), drives signed events at it with bench/load-driver.mjs for
 * BENCH_PROFILE_SEC seconds (default 8) over BENCH_PROFILE_CONNECTIONS connections (default 8),
 * stops it, and prints the share of samples per
 * category (self time, by the source file of the sampled function).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventOfSize } from './event-body.mjs';
import { freePort, writeGatewayFiles } from './bench-gateway.mjs';
import { deleteRedisPrefix, startPrivateRedis } from './private-redis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const size = process.argv.includes('64KiB') ? 65536 : 1024;
const redis = process.argv.includes('redis');
const seconds = Number(process.env.BENCH_PROFILE_SEC ?? 8);

/** Category of a sampled function, first match wins (file URL or V8's own names). */
const CATEGORIES = [
  ['garbage collection', (f) => f.name === '(garbage collector)'],
  ['idle (waiting for I/O)', (f) => f.name === '(idle)'],
  ['V8/native (program)', (f) => f.name === '(program)'],
  ['logging (pino)', (f) => /node_modules\/(pino|fast-redact|sonic-boom|quick-format)/.test(f.url)],
  [
    'metrics (prom-client)',
    (f) => /node_modules\/(prom-client|tdigest|bintrees)|dist\/metrics\//.test(f.url),
  ],
  ['validation (zod)', (f) => /node_modules\/zod/.test(f.url)],
  ['HTTP framework (hono, node-server)', (f) => /node_modules\/(hono|@hono)/.test(f.url)],
  ['Redis client', (f) => /node_modules\/(ioredis|@ioredis|denque|redis-)/.test(f.url)],
  ['policy evaluation', (f) => /dist\/policy\//.test(f.url)],
  ['audit log (entry, JCS, Merkle, storage)', (f) => /dist\/audit\//.test(f.url)],
  [
    'signature check, replay, auth',
    (f) => /dist\/(signing|replay|crypto)\/|dist\/http\/auth/.test(f.url),
  ],
  ['gateway use cases and routes', (f) => /dist\/(gateway|http|events|quorum|json)\//.test(f.url)],
  ['other gateway code', (f) => /\/dist\//.test(f.url)],
  [
    'Node.js HTTP and streams',
    (f) => /^node:(_http|http|net|stream|internal\/(http|streams|stream_base))/.test(f.url),
  ],
  ['Node.js crypto', (f) => /^node:(crypto|internal\/crypto)/.test(f.url)],
  ['other Node.js internals', (f) => f.url.startsWith('node:')],
  ['native builtins (JSON, RegExp, String…)', (f) => f.url === ''],
  ['other', () => true],
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'codex-profile-'));
const { client, gatewayEnv } = await writeGatewayFiles(tmp, {
  dist: path.join(root, 'dist'),
  scopes: ['events:write'],
});
const body = eventOfSize(size);

const port = await freePort();
const redisPrefix = `profile-${process.pid}:`;
const privateRedis =
  redis && process.env.REDIS_URL === undefined ? await startPrivateRedis(port + 1) : undefined;
const redisUrl = privateRedis?.url ?? process.env.REDIS_URL;
if (redis && redisUrl === undefined)
  throw new Error('bench:profile redis: could not start a redis-server (or set REDIS_URL)');
const profDir = path.join(tmp, 'prof');
const server = spawn(
  process.execPath,
  ['--cpu-prof', '--cpu-prof-dir', profDir, path.join(root, 'dist/main.js')],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      ...gatewayEnv('profile'),
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(redis
        ? {
            REDIS_URL: redisUrl,
            REDIS_PREFIX: redisPrefix,
          }
        : {}),
    },
  },
);
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    if (i > 400) throw new Error('gateway did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const job = {
  url,
  path: '/v1/events',
  body,
  connections: Number(process.env.BENCH_PROFILE_CONNECTIONS ?? 8),
  durationSec: seconds,
  sign: { apiKey: client.apiKey, secret: client.signingSecret },
};
const driver = spawn(process.execPath, [path.join(here, 'load-driver.mjs'), JSON.stringify(job)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
driver.stdout.on('data', (d) => (out += d));
await new Promise((r) => driver.once('exit', r));
const load = JSON.parse(out.trim().split('\n').pop());
await new Promise((r) => {
  server.once('exit', r);
  server.kill('SIGTERM');
});
if (redis) await deleteRedisPrefix(redisUrl, redisPrefix);
await privateRedis?.stop();

const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(path.join(profDir, file), 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
const functions = new Map();
for (const id of profile.samples) {
  const frame = byId.get(id).callFrame;
  const fn = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + 1);
  const name = CATEGORIES.find(([, match]) =>
    match({ name: frame.functionName, url: frame.url.replace(/^file:\/\//, '') }),
  )[0];
  counts.set(name, (counts.get(name) ?? 0) + 1);
}
const busy = profile.samples.length - (counts.get('idle (waiting for I/O)') ?? 0);
const usPerSample = (profile.endTime - profile.startTime) / profile.samples.length;
console.log(
  `${redis ? 'redis' : 'memory'} mode, ${size} B events, ${Math.round(load.rps)} req/s over ${seconds} s (${load.non2xx} non-2xx)`,
);
console.log(
  `main-thread busy time per request ≈ ${((busy * usPerSample) / load.requests).toFixed(0)} µs\n`,
);
console.log('| category | share of busy main-thread time |\n|---|---:|');
for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]))
  if (name !== 'idle (waiting for I/O)')
    console.log(`| ${name} | ${((100 * n) / busy).toFixed(1)}% |`);
if (process.env.BENCH_PROFILE_TOP !== undefined) {
  console.log('\n| function (self time) | share |\n|---|---:|');
  for (const [fn, n] of [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env.BENCH_PROFILE_TOP) || 25))
    if (!fn.startsWith('(idle)')) console.log(`| ${fn} | ${((100 * n) / busy).toFixed(1)}% |`);
}
if (process.env.BENCH_PROFILE_KEEP)
  copyFileSync(path.join(profDir, file), process.env.BENCH_PROFILE_KEEP);
rmSync(tmp, { recursive: true, force: true });
