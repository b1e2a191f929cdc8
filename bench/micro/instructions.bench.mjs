#!/usr/bin/env node
/**
 * Micro benchmark, the instructions one request costs the server, counted by callgrind
 * (bench/callgrind.mjs): the bare echo and the memory-mode gateway (and the build in
 * BENCH_BASE_DIST as `memory-base`, for an A/B), each at 1 KiB and 64 KiB (BENCH_SIZES
 * filters, as in run.mjs). Why: on a noisy virtual machine the CPU time per request of the
 * same build moves by a third between runs, while these counts repeat (bench/README.md,
 * "Instructions per request").
 *
 * Each server runs under valgrind with counting off, takes BENCH_INSTR_WARMUP signed
 * requests (default 1000) one after the other over one keep-alive connection, then counts
 * over BENCH_INSTR_REQUESTS more (default 500). One connection: every gateway request is
 * an audit batch of its own, so its count includes a batch's work (the checkpoint's
 * signature among it). The servers of one body size run side by side: a count does not
 * depend on what else the machine is doing. Counts are of valgrind's CPU (OpenSSL, for
 * one, sees no SHA extensions there): compare builds with them, not machines.
 *
 * Prints human lines, then one JSON line (`{"bench":"instructions",...}`); skipped (a JSON
 * line saying so) when valgrind is not installed. Not a test: asserts nothing.
 *
 * Usage: node bench/micro/instructions.bench.mjs   (after `npm run build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, writeGatewayFiles } from '../bench-gateway.mjs';
import {
  callgrindAvailable,
  callgrindControl,
  instructionTotals,
  startUnderCallgrind,
} from '../callgrind.mjs';
import { eventOfSize, selectedBodySizes } from '../event-body.mjs';
import { dist, fromDist } from './audit-common.mjs';

if (!callgrindAvailable()) {
  console.log(JSON.stringify({ bench: 'instructions', skipped: 'valgrind not installed' }));
  process.exit(0);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP = Number(process.env.BENCH_INSTR_WARMUP ?? 1000);
const REQUESTS = Number(process.env.BENCH_INSTR_REQUESTS ?? 500);
const { signRequest } = await fromDist('signing/sign-request.js', 'instructions');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'codex-instructions-'));
const { client, gatewayEnv } = await writeGatewayFiles(tmp, { dist, scopes: ['events:write'] });

const targets = [
  { name: 'echo', script: path.join(here, '../echo-server.mjs'), target: '/' },
  { name: 'memory', script: path.join(dist, 'main.js'), target: '/v1/events' },
];
if (process.env.BENCH_BASE_DIST !== undefined)
  targets.push({
    name: 'memory-base',
    script: path.join(path.resolve(process.env.BENCH_BASE_DIST), 'main.js'),
    target: '/v1/events',
  });

/** POSTs `body`, signed, over the agent's one connection; resolves with the status. */
function post(port, agent, target, body) {
  const headers = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    ...signRequest({
      apiKey: client.apiKey,
      secret: client.signingSecret,
      method: 'POST',
      target: '/v1/events',
      body,
    }),
  };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method: 'POST', agent, headers },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Starts `t` under callgrind, warms it up, counts REQUESTS requests of `body`. */
async function measure(t, size, body) {
  const dir = mkdtempSync(path.join(tmp, `${t.name}-${size}-`));
  const port = await freePort();
  const env = { ...gatewayEnv(`${t.name}-${size}`), PORT: String(port) };
  const child = startUnderCallgrind([t.script], env, dir);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Up once a request is answered (valgrind starts the gateway in tens of seconds).
    for (let waited = 0; ; waited += 250) {
      if (child.exitCode !== null) throw new Error(`${t.name} exited while starting`);
      const status = await post(port, agent, t.target, body).catch(() => undefined);
      if (status === 200) break;
      if (status !== undefined) throw new Error(`${t.name} answered ${status}`);
      if (waited > 180_000) throw new Error(`${t.name} did not start`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const send = async () => {
      const status = await post(port, agent, t.target, body);
      if (status !== 200) throw new Error(`${t.name} answered ${status}`);
    };
    for (let i = 0; i < WARMUP; i++) await send();
    callgrindControl(dir, child.pid, '--instr=on');
    for (let i = 0; i < REQUESTS; i++) await send();
    const { main, all } = instructionTotals(callgrindControl(dir, child.pid, '-e'));
    if (main === 0) throw new Error(`${t.name}: no count for the main thread`);
    return {
      mainPerRequest: Math.round(main / REQUESTS),
      allPerRequest: Math.round(all / REQUESTS),
    };
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await exited;
  }
}

const result = { bench: 'instructions', warmup: WARMUP, requests: REQUESTS, results: {} };
try {
  for (const [size, bytes] of Object.entries(selectedBodySizes())) {
    const body = Buffer.from(eventOfSize(bytes));
    const counts = await Promise.all(targets.map((t) => measure(t, size, body)));
    const row = Object.fromEntries(targets.map((t, i) => [t.name, counts[i]]));
    for (const t of targets.slice(1))
      row[`${t.name}ToEcho`] = +(row[t.name].mainPerRequest / row.echo.mainPerRequest).toFixed(2);
    result.results[size] = row;
    for (const t of targets)
      console.log(
        `${size} ${t.name}: ${row[t.name].mainPerRequest.toLocaleString('en')} instructions per request on the main thread, ${row[t.name].allPerRequest.toLocaleString('en')} on all threads`,
      );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
