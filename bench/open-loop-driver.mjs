#!/usr/bin/env node
/**
 * Open-loop (constant arrival rate) load for the 50% phase of `npm run bench`, in its own
 * process like bench/load-driver.mjs, with the same interface: reads a JSON job from
 * argv[2], prints one JSON result line.
 *
 * Request i is due at start + i / overallRate, whatever the server does (open loop). On
 * each wake the scheduler hands over every request that is due (so a late wake does not
 * lower the rate), then sleeps until the next one is due: a worker thread (`startTicker`)
 * wakes it then, with sub-millisecond precision and no busy loop (one that spun on
 * setImmediate took a whole core). The same step also runs after every socket read.
 * A warm-up of `warmupSec` (default 1 s) at the same rate comes first, not recorded. A due
 * request goes out on a free keep-alive connection of the `connections` persistent ones;
 * when none is free it waits in FIFO order. Its
 * latency runs from its SCHEDULED time to the end of its response (process.hrtime.bigint),
 * so time spent waiting for a connection or for a late scheduler counts — corrected for
 * coordinated omission, as wrk2 does. Percentiles are exact (sorted samples), in ms.
 *
 * Cheap enough to keep up (its cost with the ticker: startTicker below): raw `net` sockets
 * (Nagle off), the request bytes built once (only the four signing headers differ per
 * request), and a minimal HTTP/1.1 response parser (status line, Content-Length).
 * Signed runs: a fresh codex-sig/v1 signature per request exactly as load-driver.mjs makes it.
 * A non-2xx answer counts in `non2xx`; a socket error counts in `errors` (the request is
 * lost, the connection is reopened); requests still unanswered 10 s after the last one was
 * due count in `timeouts`.
 *
 * Job: { url, path, body (string), connections, durationSec, overallRate, warmupSec?, sign?: { apiKey, secret } }
 * Result: load-driver.mjs' fields (rps, requests, durationSec, latencyMs {p50,p90,p99,max,mean},
 * status2xx, non2xx, errors, timeouts) plus `openLoop`: offered and sent rates, how far the
 * scheduler fell behind (`behindMs`, max over wakes), the longest connection queue, the
 * driver's own lag (`sendLagMs` p50/p99/max: from each request's scheduled time to its write,
 * the part of its latency spent before the server could see it: waiting for a free
 * connection or a late wake), the driver's own CPU, and `warning` when the schedule was not
 * kept.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Worker } from 'node:worker_threads';

const job = JSON.parse(process.argv[2] ?? '{}');
if (!(job.overallRate > 0)) throw new Error('open-loop-driver: job.overallRate is required');
const url = new URL(job.url);
const port = Number(url.port || 80);
const host = url.hostname;
const body = Buffer.from(job.body ?? '', 'utf8');
const bodySha256 = createHash('sha256').update(body).digest('hex');
const connections = Math.max(1, job.connections ?? 64);
const rate = job.overallRate;
const intervalNs = 1e9 / rate;
const total = Math.max(1, Math.floor(rate * job.durationSec));
const DRAIN_TIMEOUT_MS = 10_000;
const WARMUP_SEC = job.warmupSec ?? 1;

// --- request bytes --------------------------------------------------------------------
const head =
  `POST ${job.path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
  `content-length: ${body.length}\r\n` +
  (job.sign === undefined ? '\r\n' : `x-api-key: ${job.sign.apiKey}\r\n`);
const headBytes = Buffer.from(head, 'latin1');
const unsignedRequest = Buffer.concat([headBytes, body]);

let noncePool = randomBytes(16 * 4096);
let nonceAt = 0;
/** The four signing headers' lines (docs/protocol.md §2), then the blank line. */
function signingLines() {
  if (nonceAt === noncePool.length) {
    noncePool = randomBytes(16 * 4096);
    nonceAt = 0;
  }
  const nonce = noncePool.toString('hex', nonceAt, nonceAt + 16);
  nonceAt += 16;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const canonical = `codex-sig/v1\n${timestamp}\n${nonce}\nPOST\n${job.path}\n${bodySha256}`;
  const mac = createHmac('sha256', job.sign.secret).update(canonical).digest('hex');
  return `x-codex-timestamp: ${timestamp}\r\nx-codex-nonce: ${nonce}\r\nx-codex-sig: v1=${mac}\r\n\r\n`;
}

// --- state ----------------------------------------------------------------------------
const t0 = process.hrtime.bigint();
const nowNs = () => Number(process.hrtime.bigint() - t0);
let startNs = 0; // start of the current schedule (warm-up, then the measured one)
const latencies = new Float64Array(Math.max(total, Math.floor(rate * WARMUP_SEC)));
/** Per request of the current schedule: its write's time minus its scheduled time (ns). */
const sendLags = new Float64Array(latencies.length);
/** OPEN_LOOP_TRACE=<file>: each request's due time and latency (ms), for looking at stalls. */
const trace =
  process.env.OPEN_LOOP_TRACE === undefined
    ? undefined
    : new Float64Array(latencies.length).fill(NaN);
let samples = 0;
let status2xx = 0;
let non2xx = 0;
let errors = 0;
let scheduled = 0; // requests due so far (handed to the dispatcher)
let dispatched = 0; // requests written to a socket (FIFO: always the oldest due)
let finished = 0; // answered or lost to a socket error
let scheduleEnd = 0; // requests in the current schedule
let lastAnswerNs = 0;
let lastSentNs = 0;
let behindNs = 0;
let maxQueued = 0;
const free = [];
let done = false;

const CRLF2 = Buffer.from('\r\n\r\n');

function newConnection() {
  const conn = {
    socket: undefined,
    busy: false,
    dueNs: 0,
    index: 0,
    buf: undefined,
    state: 'head',
    status: 0,
    remaining: 0,
    close: false,
    failures: 0,
  };
  connect(conn);
  return conn;
}

function connect(conn) {
  const socket = net.connect({ host, port, noDelay: true });
  conn.socket = socket;
  conn.buf = undefined;
  conn.state = 'head';
  socket.once('connect', () => {
    conn.failures = 0;
    release(conn);
  });
  socket.on('data', (chunk) => {
    onData(conn, chunk);
    pump();
  });
  socket.on('error', () => {}); // 'close' follows and does the accounting
  socket.once('close', () => onClose(conn, socket));
}

function onClose(conn, socket) {
  if (conn.socket !== socket) return;
  const i = free.indexOf(conn);
  if (i !== -1) free.splice(i, 1);
  if (conn.busy) {
    conn.busy = false;
    errors++;
    finished++;
  }
  if (done) return;
  conn.failures++;
  // Reopen at once the first time; back off a little when the server keeps refusing.
  setTimeout(() => connect(conn), conn.failures > 1 ? 10 : 0);
}

function release(conn) {
  if (dispatched < scheduled) send(conn);
  else free.push(conn);
}

function send(conn) {
  const i = dispatched++;
  conn.busy = true;
  conn.index = i;
  conn.dueNs = startNs + i * intervalNs;
  sendLags[i] = nowNs() - conn.dueNs;
  const s = conn.socket;
  if (job.sign === undefined) s.write(unsignedRequest);
  else {
    s.cork();
    s.write(headBytes);
    s.write(signingLines(), 'latin1');
    s.write(body);
    s.uncork();
  }
}

function complete(conn) {
  const end = nowNs();
  latencies[samples++] = end - conn.dueNs;
  if (trace !== undefined) trace[conn.index] = end - conn.dueNs;
  if (conn.status >= 200 && conn.status < 300) status2xx++;
  else non2xx++;
  finished++;
  lastAnswerNs = end;
  conn.busy = false;
  conn.state = 'head';
  if (conn.close) {
    conn.close = false;
    conn.socket.destroy(); // onClose reopens it
    return;
  }
  release(conn);
}

/** Minimal HTTP/1.1 response parser: status line and Content-Length (both servers send it). */
function onData(conn, chunk) {
  let buf = conn.buf === undefined ? chunk : Buffer.concat([conn.buf, chunk]);
  conn.buf = undefined;
  for (;;) {
    if (conn.state === 'head') {
      const end = buf.indexOf(CRLF2);
      if (end === -1) break;
      const text = buf.toString('latin1', 0, end).toLowerCase();
      buf = buf.subarray(end + 4);
      conn.status = Number(text.slice(9, 12));
      conn.close = /\r\nconnection: *close/.test(text);
      const cl = /\r\ncontent-length: *(\d+)/.exec(text);
      if (cl !== null) {
        conn.remaining = Number(cl[1]);
        conn.state = 'body';
      } else if (conn.status === 204 || conn.status === 304 || conn.status < 200) {
        conn.remaining = 0;
        conn.state = 'body';
      } else {
        // Chunked or close-delimited: not sent by either server; give up on the connection.
        conn.socket.destroy();
        return;
      }
    }
    if (conn.state === 'body') {
      if (buf.length < conn.remaining) {
        conn.remaining -= buf.length;
        return;
      }
      buf = buf.subarray(conn.remaining);
      complete(conn);
      if (conn.state !== 'head' || conn.socket.destroyed) return;
      continue;
    }
  }
  if (buf.length > 0) conn.buf = buf;
}

// --- ticker ---------------------------------------------------------------------------
/**
 * Wakes the event loop at a due time with sub-millisecond precision. A timer cannot: libuv
 * counts whole milliseconds and `setTimeout(1)` fires 1-2 ms later, so a request due
 * between two socket reads waited for it and went out late, in a burst with the others
 * due meanwhile; that lag is counted in the request's latency, for every target alike
 * (against the echo at 8,706 req/s, send lag p99 1.09-1.19 ms with the timer, 0.24-0.27 ms
 * with this; bench/README.md). A worker thread sleeps in Atomics.wait (a futex with a
 * fractional-millisecond timeout, no busy loop) and posts a message when the time is due,
 * which wakes the main thread's poll at once. It costs the driver's core more (57-58%
 * against 34-35% of it at that rate): about one wake-up per request, also for one that a
 * socket read sent first.
 */
function startTicker() {
  // Absolute hrtime (ns) to wake at; 0 = none, -1 = stop. The worker waits on this value
  // itself, so a new time (stored, then notified) ends its wait at once.
  const wake = new BigInt64Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { parentPort, workerData: wake } = require('node:worker_threads');
    for (;;) {
      const at = Atomics.load(wake, 0);
      if (at === -1n) break;
      const waitMs = at === 0n ? Infinity : Number(at - process.hrtime.bigint()) / 1e6;
      if (waitMs > 0) Atomics.wait(wake, 0, at, waitMs);
      // Due, unless the main thread moved the time meanwhile.
      else if (Atomics.compareExchange(wake, 0, at, 0n) === at) parentPort.postMessage(0);
    }`,
    { eval: true, workerData: wake },
  );
  worker.unref();
  worker.on('message', () => onTick?.());
  // Without it no schedule would advance: fail the run rather than hang.
  worker.on('error', (err) => {
    process.stderr.write(`open-loop-driver: ticker failed: ${err.message}\n`);
    process.exit(1);
  });
  const set = (value) => {
    Atomics.store(wake, 0, value);
    Atomics.notify(wake, 0);
  };
  return {
    /** Runs `onTick` at `dueNs` (this driver's clock), or soon after. */
    wakeAt: (dueNs) => set(t0 + BigInt(Math.ceil(dueNs))),
    stop: () => set(-1n),
  };
}
/** What the ticker runs when it wakes (the current schedule's step). */
let onTick;
const ticker = startTicker();

// --- run ------------------------------------------------------------------------------
const conns = Array.from({ length: connections }, newConnection);
const opened = await new Promise((resolve) => {
  const deadline = Date.now() + 10_000;
  const check = () =>
    free.length === connections || Date.now() > deadline
      ? resolve(free.length)
      : setTimeout(check, 5);
  check();
});
if (opened < connections)
  process.stderr.write(`open-loop-driver: only ${opened} of ${connections} connections open\n`);

/** Sends every request that is due (called by the ticker and after every socket read). */
function pump() {
  const now = nowNs();
  const first = scheduled;
  while (scheduled < scheduleEnd && startNs + scheduled * intervalNs <= now) {
    scheduled++;
    if (free.length > 0) send(free.shift());
  }
  if (scheduled > first) {
    behindNs = Math.max(behindNs, now - (startNs + first * intervalNs));
    lastSentNs = now;
  }
  if (scheduled - dispatched > maxQueued) maxQueued = scheduled - dispatched;
}

/**
 * One schedule of `count` requests at `rate` from now, then waits until all are answered
 * (or DRAIN_TIMEOUT_MS after the last was due). Resets the counters first.
 */
async function runSchedule(count) {
  samples = status2xx = non2xx = errors = 0;
  scheduled = dispatched = finished = 0;
  behindNs = lastAnswerNs = lastSentNs = 0;
  maxQueued = 0;
  if (trace !== undefined) trace.fill(NaN);
  scheduleEnd = count;
  startNs = nowNs();
  await new Promise((resolve) => {
    onTick = () => {
      pump();
      if (scheduled === count) {
        onTick = undefined;
        return resolve();
      }
      ticker.wakeAt(startNs + scheduled * intervalNs);
    };
    onTick();
  });
  const lastDueNs = startNs + (count - 1) * intervalNs;
  await new Promise((resolve) => {
    const check = () =>
      finished >= count || nowNs() - lastDueNs > DRAIN_TIMEOUT_MS * 1e6
        ? resolve()
        : setTimeout(check, 1);
    check();
  });
}

// Warm-up at the same rate over the same connections, not recorded (wrk2 calibrates the
// same way): a fresh driver process runs its first thousands of requests unoptimised, and
// the backlog that makes would otherwise land in the measured p99.
const warmup = Math.floor(rate * WARMUP_SEC);
if (warmup > 0) await runSchedule(warmup);
const warmupAnswered = finished;
const warmupBehindNs = behindNs;
const warmupMaxQueued = maxQueued;
const cpuBefore = process.cpuUsage();
await runSchedule(total);
done = true;
ticker.stop();
const cpu = process.cpuUsage(cpuBefore);
for (const c of conns) c.socket.destroy();

if (trace !== undefined) {
  const { writeFileSync } = await import('node:fs');
  const lines = Array.from(
    trace.subarray(0, total),
    (l, i) => `${(i * intervalNs) / 1e6} ${l / 1e6}`,
  );
  writeFileSync(process.env.OPEN_LOOP_TRACE, lines.join('\n') + '\n');
}
const ms = (ns) => Math.round(ns / 1e3) / 1e3; // ns → ms, µs precision
/** The `p` quantile (ms) of the first `n` values of `values`, sorted in place. */
const quantile = (values, n) => {
  const sorted = values.subarray(0, n).sort();
  return (p) => (n === 0 ? NaN : ms(sorted[Math.max(0, Math.ceil(p * n) - 1)]));
};
const pick = quantile(latencies, samples);
const lag = quantile(sendLags, dispatched);
let sum = 0;
for (let i = 0; i < samples; i++) sum += latencies[i];
const runNs = Math.max(lastAnswerNs, lastSentNs) - startNs;
const sentSec = (lastSentNs - startNs) / 1e9;
const sentRate = sentSec > 0 ? (total - 1) / sentSec : NaN;
const achievedRate = runNs > 0 ? samples / (runNs / 1e9) : NaN;
const warnings = [];
if (behindNs > 10e6) warnings.push(`scheduler fell up to ${ms(behindNs)} ms behind`);
if (!(sentRate >= 0.98 * rate))
  warnings.push(`sent ${Math.round(sentRate)} req/s of ${rate} offered (< 98%)`);
if (!(achievedRate >= 0.98 * rate))
  warnings.push(`answered ${Math.round(achievedRate)} req/s of ${rate} offered (< 98%)`);

process.stdout.write(
  JSON.stringify({
    rps: achievedRate,
    requests: samples,
    durationSec: runNs / 1e9,
    latencyMs: {
      p50: pick(0.5),
      p90: pick(0.9),
      p99: pick(0.99),
      max: pick(1),
      mean: samples === 0 ? NaN : ms(sum / samples),
    },
    status2xx,
    non2xx,
    errors,
    timeouts: total - finished,
    openLoop: {
      offeredRate: rate,
      scheduled: total,
      sentRate,
      behindMs: ms(behindNs),
      warmupSec: WARMUP_SEC,
      // Answered in the warm-up (the runner counts them in the server's CPU per request).
      warmupRequests: warmupAnswered,
      warmupBehindMs: ms(warmupBehindNs),
      warmupMaxQueued,
      maxQueued,
      sendLagMs: { p50: lag(0.5), p99: lag(0.99), max: lag(1) },
      driverCpuPct: Math.round(((cpu.user + cpu.system) / 1e3 / (runNs / 1e6)) * 100),
      ...(warnings.length > 0 && { warning: warnings.join('; ') }),
    },
  }) + '\n',
);
process.exit(0);
