#!/usr/bin/env node
/**
 * `npm run bench`: one run on this machine, alternating the sides so drift hits all alike.
 *
 * Load (each run in its own process: autocannon in bench/load-driver.mjs, the open-loop
 * generator in bench/open-loop-driver.mjs):
 *   targets: bare Hono echo (baseline, bench/echo-server.mjs), the gateway in memory mode,
 *   the gateway in Redis mode (its own redis-server pinned to the load generator's cores,
 *   bench/private-redis.mjs; or REDIS_URL when set, with a private key prefix deleted
 *   afterwards), the
 *   gateway in PostgreSQL mode (DATABASE_URL: the audit log in a database this run creates
 *   and drops, bench/pg-bench-db.mjs; BENCH_PG_URL names the server's admin database);
 *   bodies: 1 KiB and 64 KiB valid events. Phase 1 (autocannon, closed loop) finds each
 *   target's maximum rate over a couple of connection levels (the median of BENCH_ROUNDS
 *   rounds, targets alternated inside each); phase 2 offers 50% of that
 *   maximum as an open-loop constant arrival rate over 64 keep-alive connections and records
 *   p50/p99 there, each latency counted from the request's scheduled time (corrected for
 *   coordinated omission, as wrk2 does; bench/README.md says why), then offers the echo the
 *   memory gateway's 50% rate. Each run also reads the server's CPU and context switches
 *   per request from /proc (bench/proc-cpu.mjs). The gateway runs from
 *   dist/ with NODE_ENV=production, its real file-backed audit log (fsync) in a temp dir and
 *   the shipped deny rules.
 * Micro: bench/micro/*.bench.* (HMAC verify here; policy, quorum, audit from their owners),
 *   each printing one JSON line; a missing script is reported, not fatal.
 * The PostgreSQL target runs after all the others (both phases, every size; see below).
 * Output: bench/results/latest.json and bench/results/latest.md (see bench/README.md).
 * Interrupted (SIGINT, SIGTERM, SIGHUP): the stopped servers are continued, everything the
 * run started is stopped and cleaned up, and no results are written (bench/interrupt.mjs).
 *
 * Env: BENCH_DURATION_SEC (default 5), BENCH_ROUNDS (runs of each target at each level for
 *      the maximum, default 3; the median counts), BENCH_CONNECTIONS (default "8,64"),
 *      BENCH_RATE_CONNECTIONS (phase 2's connections, default 64; 8 with autocannon),
 *      BENCH_RATE_DRIVER=autocannon (phase 2 as before: autocannon's `overallRate`, closed
 *      loop, 8 connections, whole-millisecond latencies; for comparison),
 *      BENCH_GLIBC_TUNABLES (every server's GLIBC_TUNABLES; '' for glibc's defaults),
 *      BENCH_SIZES (e.g. 1KiB), BENCH_LOG_LEVEL (gateway LOG_LEVEL, default info), BENCH_SKIP_MICRO=1,
 *      BENCH_MICRO_TIMEOUT_SEC (default 900), REDIS_URL (a shared Redis instead of the run's
 *      own redis-server; the fallback when redis-server is missing: redis://127.0.0.1:6379),
 *      BENCH_PAUSE_OTHERS=0 (keep the other servers running during each measured drive;
 *      by default they are stopped, so each target has the servers' core to itself),
 *      BENCH_BASE_DIST (a directory holding another build's main.js, e.g. of the commit before
 *      a change: it runs as one more memory-mode target, `memory-base`, alternated with the
 *      others, so an optimisation is measured A/B in the same run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventOfSize, selectedBodySizes } from './event-body.mjs';
import { freePort, writeGatewayFiles } from './bench-gateway.mjs';
import { createBenchDatabase, postgresReachable } from './pg-bench-db.mjs';
import { deleteRedisPrefix, redisAnswers, startPrivateRedis } from './private-redis.mjs';
import { contextSwitches, cpuSeconds, minorFaults } from './proc-cpu.mjs';
import { runMicroScript } from './micro-script.mjs';
import { handleInterrupts, interruptedBy, trackJob, trackServer } from './interrupt.mjs';
import { medianP99Round, medianRound, renderMarkdown, slowestBound } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = path.join(root, 'dist');
const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 5);
/** Runs of each target at each level for the maximum; the median one counts. */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '8,64').split(',').map(Number);
/**
 * Phase 2's driver: `open-loop` (bench/open-loop-driver.mjs, constant arrival rate) or
 * `autocannon` (the closed-loop `overallRate` of before, for comparison).
 */
const RATE_DRIVER = process.env.BENCH_RATE_DRIVER === 'autocannon' ? 'autocannon' : 'open-loop';
const RATE_CONNECTIONS = Number(
  process.env.BENCH_RATE_CONNECTIONS ?? (RATE_DRIVER === 'autocannon' ? 8 : 64),
);
// Without REDIS_URL the run starts its own redis-server (bench/private-redis.mjs) below.
let REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = selectedBodySizes();

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(path.join(dist, 'main.js'))) {
  log('dist/main.js missing: run `npm run build` (npm run bench does)');
  process.exit(1);
}

/**
 * CPU seconds the server has used so far, read from /proc (Linux): `main` is the main
 * thread only (the event loop: what limits the rate), `all` every thread (libuv's fsync
 * pool, GC helpers), with context switches and minor page faults. Per-request figures
 * from these stay meaningful on a noisy machine, since they count the server's own work,
 * not wall time. Undefined off Linux.
 */
function serverCpuSeconds(pid) {
  const total = ({ user, system }) => user + system;
  try {
    return {
      main: total(cpuSeconds(`/proc/${pid}/task/${pid}/stat`)),
      all: total(cpuSeconds(`/proc/${pid}/stat`)),
      switches: contextSwitches(pid),
      minorFaults: minorFaults(pid),
    };
  } catch {
    return undefined;
  }
}

/**
 * Pins the servers to the last core and the load generator to the others when `taskset`
 * exists and there are at least two cores, so the two sides do not steal each other's CPU.
 */
const PINNING = (() => {
  const cores = os.cpus().length;
  if (cores < 2 || spawnSync('taskset', ['-V']).status !== 0) return undefined;
  return { server: String(cores - 1), driver: `0-${cores - 2}` };
})();
const pinned = (cpus, args) =>
  PINNING === undefined
    ? [process.execPath, args]
    : ['taskset', ['-c', cpus, process.execPath, ...args]];

/**
 * glibc's allocator settings for every server of the run, echo and gateways alike
 * (`BENCH_GLIBC_TUNABLES`, '' for glibc's defaults). By default glibc hands freed memory at
 * the top of its heap back to the kernel once more than 128 KiB is free there (and maps
 * blocks over 128 KiB on their own): the echo's two fresh 64 KiB buffers per request then
 * touched newly mapped pages again and again. On these virtual machines that cost
 * the echo 2–5 page faults and 20–30% more CPU per 64 KiB request, and it came and went
 * between runs (bench/README.md). Keeping up to 256 MiB mapped removes it; the gateway,
 * whose faults come from elsewhere, measured the same either way.
 */
const GLIBC_TUNABLES =
  process.env.BENCH_GLIBC_TUNABLES ??
  'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=268435456:glibc.malloc.top_pad=67108864';

/** Starts a server process and waits until GET /healthz answers 200. */
async function startServer(name, args, env) {
  const port = await freePort();
  const [command, commandArgs] = pinned(PINNING?.server, args);
  const child = spawn(command, commandArgs, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(GLIBC_TUNABLES === '' ? {} : { GLIBC_TUNABLES }),
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackServer(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { name, url, child };
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start: ${stderr}`);
}

/**
 * Each measured drive has its server's core to itself (`BENCH_PAUSE_OTHERS`, default on,
 * '0' to turn it off): every other server of the run is stopped (SIGSTOP) while it runs and
 * continued after. The servers share one core, and an idle one is not idle: its timers, and
 * V8's garbage collection after its own phase, ran inside the next target's phase. On the
 * twenty-eighth machine, in runs of the echo and the memory gateway only, stopping them took
 * the gateway's p99 at 50% from about 22 ms to about 5 (bench/README.md, "What runs").
 */
const PAUSE_OTHERS = process.env.BENCH_PAUSE_OTHERS !== '0';

/** Runs `fn` with every live server of `servers` but `server` stopped, and continues them after. */
async function alone(server, servers, fn) {
  const others = PAUSE_OTHERS
    ? servers.filter((o) => o !== server && o.child.exitCode === null)
    : [];
  for (const o of others) o.child.kill('SIGSTOP');
  try {
    return await fn();
  } finally {
    for (const o of others) o.child.kill('SIGCONT');
  }
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    const force = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    server.child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.child.kill('SIGTERM');
  });
}

/**
 * Runs one load job in a separate process (autocannon, or the open-loop driver);
 * resolves to its JSON result.
 */
function drive(job, script = 'load-driver.mjs') {
  return new Promise((resolve, reject) => {
    if (interruptedBy() !== undefined) return reject(new Error(`interrupted (${interruptedBy()})`));
    const [command, args] = pinned(PINNING?.driver, [path.join(here, script), JSON.stringify(job)]);
    // Its own process group, so an interrupted bench can kill it (bench/interrupt.mjs).
    const child = trackJob(
      spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (signal !== null) return reject(new Error(`load driver killed (${signal})`));
      if (code !== 0) return reject(new Error(`load driver exited with ${code}`));
      resolve(JSON.parse(line));
    });
  });
}

/** The gateway's `/metrics` text (the bench client holds `metrics:read`). */
async function scrape(url) {
  return (await fetch(`${url}/metrics`, { headers: { 'x-api-key': client.apiKey } })).text();
}

/**
 * One histogram series from Prometheus text: its sum, count and cumulative buckets sorted by
 * bound (`+Inf` as Infinity). `labels` are the series' labels other than `le`, as written
 * (`stage="policy"`), or '' for none.
 */
function histogram(text, name, labels = '') {
  const value = (suffix) =>
    Number(
      new RegExp(`^${name}_${suffix}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(
        text,
      )?.[1] ?? NaN,
    );
  const buckets = [
    ...text.matchAll(
      new RegExp(`^${name}_bucket\\{le="([^"]+)"${labels ? `,${labels}` : ''}\\} (\\S+)$`, 'gm'),
    ),
  ]
    .map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0]);
  return { sum: value('sum'), count: value('count'), buckets };
}

/** Mean seconds per stage over the whole run, from the gateway's own histograms. */
async function stageMeans(url) {
  const text = await scrape(url);
  return Object.fromEntries(
    ['verify', 'policy', 'audit_append'].map((stage) => {
      const { sum, count, buckets } = histogram(
        text,
        'gateway_stage_duration_seconds',
        `stage="${stage}"`,
      );
      // p99 as Prometheus' histogram_quantile would give it: the upper bound of the
      // bucket that holds the 99th percentile (an upper estimate).
      const p99 = buckets.find(([, n]) => n >= 0.99 * count)?.[0];
      return [
        stage,
        {
          count,
          meanMicros: Math.round((sum / count) * 1e6),
          p99BucketMicros: p99 === undefined || p99 === Infinity ? null : Math.round(p99 * 1e6),
        },
      ];
    }),
  );
}

/**
 * The gateway's audit batch histograms (`gateway_audit_batch_*`) and its event loop's
 * active seconds (`gateway_event_loop_active_seconds_total`) as read now.
 */
async function gatewayCounters(url) {
  const text = await scrape(url);
  const size = histogram(text, 'gateway_audit_batch_size');
  const commit = histogram(text, 'gateway_audit_batch_commit_seconds');
  return {
    leaves: size.sum,
    batches: size.count,
    commitSeconds: commit.sum,
    buckets: commit.buckets,
    loopActiveSeconds: Number(
      /^gateway_event_loop_active_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN,
    ),
  };
}

/**
 * What the audit log's batches did between two reads of gatewayCounters: how many, how
 * big, how long each waited for durability (the file log: its fdatasyncs as the event loop
 * saw them complete), how many waited over 5 ms, and the bucket bound the slowest one fell
 * under.
 */
function auditBatchesBetween(before, after) {
  const batches = after.batches - before.batches;
  if (!(batches > 0)) return undefined;
  const countUpTo = (le, c) => c.buckets.find(([b]) => b === le)?.[1] ?? NaN;
  const slowest = after.buckets.find(([le, n]) => n - countUpTo(le, before) === batches)?.[0];
  return {
    batches,
    meanLeaves: (after.leaves - before.leaves) / batches,
    meanCommitMs: ((after.commitSeconds - before.commitSeconds) * 1000) / batches,
    over5ms: batches - (countUpTo(0.005, after) - countUpTo(0.005, before)),
    slowestMsAtMost: slowest === undefined || slowest === Infinity ? null : slowest * 1000,
  };
}

/** The run-output words for a phase's audit batches (empty for the echo). */
function batchWords(r) {
  const b = r.auditBatches;
  if (b === undefined) return '';
  return (
    `; audit: ${b.batches} batches of ${b.meanLeaves.toFixed(1)}, durable wait mean ${b.meanCommitMs.toFixed(2)} ms, ` +
    `${b.over5ms} over 5 ms, slowest ≤ ${slowestBound(b.slowestMsAtMost)} ms`
  );
}

/** Runs each bench/micro script (except none) and collects its last JSON line. */
async function runMicro() {
  const dir = path.join(here, 'micro');
  const scripts = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.bench\.(mjs|js|ts)$/.test(f))
        .sort()
    : [];
  const expected = ['hmac', 'policy', 'quorum', 'audit'];
  const out = {};
  for (const name of expected)
    if (!scripts.some((s) => s.startsWith(`${name}.`))) {
      log(`micro: bench/micro/${name}.bench.* not present, skipped`);
      out[name] = { skipped: 'script not present' };
    }
  const timeoutMs = Number(process.env.BENCH_MICRO_TIMEOUT_SEC ?? 900) * 1000;
  for (const script of scripts) {
    if (interruptedBy() !== undefined) break;
    const name = script.split('.')[0];
    const args = script.endsWith('.ts')
      ? ['--import', 'tsx', path.join(dir, script)]
      : [path.join(dir, script)];
    log(`micro: ${script}`);
    out[name] = await runMicroScript(args, { cwd: root, timeoutMs });
  }
  return out;
}

// --- setup ----------------------------------------------------------------------------
handleInterrupts();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'codex-bench-'));
const { client, gatewayEnv } = await writeGatewayFiles(tmp, {
  dist,
  scopes: ['events:write', 'metrics:read'],
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
});
const redisPrefix = `bench-${process.pid}-${Date.now().toString(36)}:`;

const servers = [];
let pgDatabase;
let privateRedis;
const results = { startedAt: new Date().toISOString() };
let exitCode = 0;
try {
  if (process.env.REDIS_URL === undefined) {
    privateRedis = await startPrivateRedis(await freePort(), PINNING?.driver);
    if (privateRedis !== undefined) REDIS_URL = privateRedis.url;
  }
  servers.push(await startServer('echo', [path.join(here, 'echo-server.mjs')], {}));
  servers.push(await startServer('memory', [path.join(dist, 'main.js')], gatewayEnv('memory')));
  if (process.env.BENCH_BASE_DIST !== undefined) {
    // `BENCH_BASE_MODE=redis`: the base build runs in Redis mode (`redis-base`, its own prefix).
    const redisBase = process.env.BENCH_BASE_MODE === 'redis';
    const name = redisBase ? 'redis-base' : 'memory-base';
    servers.push(
      await startServer(
        name,
        [
          ...(process.env.BENCH_BASE_NODE_ARGS ?? '').split(' ').filter(Boolean),
          path.join(path.resolve(process.env.BENCH_BASE_DIST), 'main.js'),
        ],
        redisBase
          ? { ...gatewayEnv(name), REDIS_URL, REDIS_PREFIX: `${redisPrefix}base:` }
          : gatewayEnv(name),
      ),
    );
  }
  if (await redisAnswers(REDIS_URL)) {
    const redis = await startServer('redis', [path.join(dist, 'main.js')], {
      ...gatewayEnv('redis'),
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
    });
    if (!/^gateway_redis_up 1$/m.test(await scrape(redis.url)))
      throw new Error('redis gateway is not in Redis mode');
    servers.push(redis);
  } else {
    log(`Redis not reachable at ${REDIS_URL}: Redis mode skipped`);
    results.redisSkipped = true;
  }
  if (await postgresReachable()) {
    // The file-mode gateway (`memory`) with its audit log in PostgreSQL instead: the same
    // in-memory nonce store, so the ratio postgres/memory is the cost of the shared log.
    pgDatabase = await createBenchDatabase('gateway');
    servers.push(
      await startServer('postgres', [path.join(dist, 'main.js')], {
        ...gatewayEnv('postgres'),
        DATABASE_URL: pgDatabase.url,
        GATEWAY_LOG_KEY_FILE: path.join(tmp, 'pg-log.key'),
      }),
    );
  } else {
    log('PostgreSQL not reachable: PostgreSQL mode skipped');
    results.postgresSkipped = true;
  }

  const bodies = Object.fromEntries(Object.entries(SIZES).map(([k, n]) => [k, eventOfSize(n)]));
  const job = (server, size, extra) => ({
    url: server.url,
    path: server.name === 'echo' ? '/' : '/v1/events',
    body: bodies[size],
    // The echo gets the same signed requests (it ignores the headers), so the load
    // generator does the same work per request on both sides of every ratio.
    sign: { apiKey: client.apiKey, secret: client.signingSecret },
    ...extra,
  });

  /**
   * Drives `job` at `server` and adds the server's CPU per completed request (µs) and, for
   * a gateway, its audit batches and the share of the drive its event loop was busy.
   */
  const driveMeasured = async (server, j, script) => {
    const gateway = server.name !== 'echo';
    const countersBefore = gateway ? await gatewayCounters(server.url) : undefined;
    const before = serverCpuSeconds(server.child.pid);
    const start = performance.now();
    const r = await alone(server, servers, () => drive(j, script));
    const seconds = (performance.now() - start) / 1000;
    const after = serverCpuSeconds(server.child.pid);
    if (gateway) {
      const countersAfter = await gatewayCounters(server.url);
      r.auditBatches = auditBatchesBetween(countersBefore, countersAfter);
      // The share of the drive's wall time the gateway's event loop was not waiting for
      // I/O: CPU, and blocked in synchronous calls (inline fdatasyncs) while the core idled.
      r.serverLoopBusy =
        (countersAfter.loopActiveSeconds - countersBefore.loopActiveSeconds) / seconds;
    }
    // The server's CPU was read around the whole drive, the open-loop warm-up included.
    const done = (r.requests ?? 0) + (r.warmupRequests ?? 0) + (r.openLoop?.warmupRequests ?? 0);
    if (before !== undefined && after !== undefined && done > 0) {
      r.serverCpuUsPerRequest = {
        main: ((after.main - before.main) * 1e6) / done,
        all: ((after.all - before.all) * 1e6) / done,
      };
      r.serverMinorFaultsPerRequest = (after.minorFaults - before.minorFaults) / done;
      r.serverSwitchesPerRequest = {
        all: (after.switches.all - before.switches.all) / done,
        mainPreempted: (after.switches.mainPreempted - before.switches.mainPreempted) / done,
      };
    }
    return r;
  };

  const load = Object.fromEntries(
    Object.keys(SIZES).map((size) => [
      size,
      Object.fromEntries(servers.map((s) => [s.name, { levels: [] }])),
    ]),
  );
  /**
   * Phases 1 and 2 of one body size for the servers of `group`, into `load[size]`. A group
   * without the echo takes its round ratios from the echo's rounds of an earlier group.
   */
  const measureSize = async (size, group) => {
    // Rounds of every level and target in turn, so a burst of machine noise lands on one
    // round of every target rather than on all runs of one.
    for (let round = 1; round <= ROUNDS; round++)
      for (const connections of CONNECTIONS)
        for (const s of group) {
          const r = await driveMeasured(
            s,
            job(s, size, { connections, durationSec: DURATION, warmupSec: 1 }),
          );
          log(
            `${size} ${s.name} c=${connections} round ${round}/${ROUNDS}: ${Math.round(r.rps)} req/s p99 ${r.latencyMs.p99} ms non2xx ${r.non2xx} errors ${r.errors}${batchWords(r)}`,
          );
          load[size][s.name].levels.push({ connections, round, ...r });
        }
    for (const s of group) {
      const entry = load[size][s.name];
      entry.max = CONNECTIONS.map((c) =>
        medianRound(entry.levels.filter((r) => r.connections === c)),
      ).reduce((a, b) => (b.rps > a.rps ? b : a));
    }
    // Each round's ratio to the echo's run of the same round (both at their best level):
    // the two ran a few seconds apart, so the spread of these shows the machine's noise.
    const echoRounds = load[size].echo?.max.roundsRps;
    for (const s of group) {
      const max = load[size][s.name].max;
      if (echoRounds !== undefined)
        max.roundRatios = max.roundsRps.map((rps, i) => rps / echoRounds[i]);
    }
    // Phase 2 in rounds too, targets alternated inside each: a p99 over one 5 s phase is
    // set by whether one of the disk's rare slow fdatasyncs (or a stall of the machine)
    // fell inside it, so the median round counts, as for the maximum, and the report lists
    // every round's p99 (bench/README.md, "The 50% phase").
    const halfRounds = Object.fromEntries(group.map((s) => [s.name, []]));
    const echo = group.find((s) => s.name === 'echo');
    const halfOfMax = (name) => Math.max(1, Math.round(load[size][name].max.rps / 2));
    const gatewayHalf = group.some((s) => s.name === 'memory') ? halfOfMax('memory') : undefined;
    const echoAtGatewayHalf = [];
    const driveAt = (s, rate) =>
      driveMeasured(
        s,
        job(s, size, { connections: RATE_CONNECTIONS, durationSec: DURATION, overallRate: rate }),
        RATE_DRIVER === 'open-loop' ? 'open-loop-driver.mjs' : 'load-driver.mjs',
      );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of group) {
        const rate = halfOfMax(s.name);
        const r = await driveAt(s, rate);
        log(
          `${size} ${s.name} at ${rate} req/s (50% of max, ${RATE_DRIVER}, c=${RATE_CONNECTIONS}) round ${round}/${ROUNDS}: ` +
            `answered ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms${batchWords(r)}` +
            (r.openLoop?.warning === undefined ? '' : ` WARNING: ${r.openLoop.warning}`),
        );
        halfRounds[s.name].push({ offeredRate: rate, connections: RATE_CONNECTIONS, ...r });
      }
      // The bare echo offered the memory-mode gateway's 50% rate: what a request costs this
      // machine at that rate with no gateway work at all (bench/README.md, "How to read the
      // figures").
      if (RATE_DRIVER === 'open-loop' && echo !== undefined && gatewayHalf !== undefined) {
        const r = await driveAt(echo, gatewayHalf);
        log(
          `${size} echo at the memory gateway's 50% rate (${gatewayHalf} req/s) round ${round}/${ROUNDS}: p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms`,
        );
        echoAtGatewayHalf.push({ offeredRate: gatewayHalf, ...r });
      }
    }
    for (const s of group) load[size][s.name].halfRate = medianP99Round(halfRounds[s.name]);
    if (echoAtGatewayHalf.length > 0)
      load[size].echo.atMemoryHalfRate = medianP99Round(echoAtGatewayHalf);
  };

  // The PostgreSQL target runs after all the others, warm-up included. The shared
  // PostgreSQL server is neither pinned nor stopped by the bench, and it goes on writing and
  // flushing for minutes after a load (a checkpoint spreads its writes over most of
  // checkpoint_timeout): with that target alternated with the others, those writes fell
  // inside the memory gateway's 50% phase and set its p99 there (bench/README.md, "What
  // runs").
  const groups = [
    servers.filter((s) => s.name !== 'postgres'),
    servers.filter((s) => s.name === 'postgres'),
  ].filter((g) => g.length > 0);
  for (const group of groups) {
    log(`warm-up: ${group.map((s) => s.name).join(', ')}`);
    for (const s of group)
      await drive(job(s, Object.keys(SIZES)[0], { connections: 8, durationSec: 2 }));
    for (const size of Object.keys(SIZES)) await measureSize(size, group);
  }
  results.load = load;
  results.stages = {};
  for (const s of servers.filter((x) => x.name !== 'echo'))
    results.stages[s.name] = await stageMeans(s.url);
} catch (err) {
  if (interruptedBy() === undefined)
    log(`load phase failed: ${err instanceof Error ? err.stack : err}`);
  else log(`load phase stopped (${interruptedBy()})`);
  exitCode = 1;
} finally {
  await Promise.all(servers.map(stopServer));
  if (pgDatabase !== undefined) {
    try {
      await pgDatabase.drop();
    } catch (err) {
      log(`could not drop bench database ${pgDatabase.name}: ${err}`);
    }
  }
  if (!results.redisSkipped) {
    try {
      results.redisKeysDeleted = await deleteRedisPrefix(REDIS_URL, redisPrefix);
    } catch (err) {
      log(`could not delete Redis prefix ${redisPrefix}: ${err}`);
    }
  }
  await privateRedis?.stop();
  rmSync(tmp, { recursive: true, force: true });
}

/** An interrupted run writes no results: it exits 128 + the signal's number, as a shell would. */
function exitIfInterrupted() {
  const signal = interruptedBy();
  if (signal === undefined) return;
  log(`interrupted by ${signal}: no results written`);
  process.exit(128 + os.constants.signals[signal]);
}

exitIfInterrupted();
results.micro =
  process.env.BENCH_SKIP_MICRO === '1' ? { skipped: 'BENCH_SKIP_MICRO=1' } : await runMicro();
exitIfInterrupted();
results.finishedAt = new Date().toISOString();
results.machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
};
results.settings = {
  durationSec: DURATION,
  rounds: ROUNDS,
  glibcTunables: GLIBC_TUNABLES,
  connections: CONNECTIONS,
  rateConnections: RATE_CONNECTIONS,
  rateDriver: RATE_DRIVER,
  gatewayLogLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
  redisPrefix,
  redis:
    privateRedis === undefined
      ? `${REDIS_URL} (REDIS_URL or the default; shared, unpinned)`
      : `its own redis-server (${REDIS_URL}), pinned to core(s) ${PINNING?.driver ?? 'any'}`,
  pinning: PINNING ?? 'none (taskset missing or one core)',
  pauseOthers: PAUSE_OTHERS,
  postgresLast: true,
  ...(process.env.BENCH_BASE_DIST !== undefined && { baseDist: process.env.BENCH_BASE_DIST }),
};

const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
const md = renderMarkdown(results);
writeFileSync(path.join(outDir, 'latest.md'), md);
process.stdout.write(md);
process.exit(exitCode);
