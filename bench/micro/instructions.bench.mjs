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
 * requests, then counts over BENCH_INSTR_REQUESTS more (in all; by default 1,000 and 500
 * on one connection, 6,000 and 3,000 on more), once for each number of keep-alive
 * connections in BENCH_INSTR_CONNECTIONS (default `1,32`), each connection sending its
 * next request when its answer came. With one connection every gateway request is an
 * audit batch of its own, so its count includes a whole batch's work (the checkpoint's
 * signature among it); with 32 the batches hold tens of entries, as at the load phases'
 * maximum. The servers of one body size and connection count run side by side: a count
 * does not depend on what else the machine is doing. Counts are of valgrind's CPU
 * (OpenSSL, for one, sees no SHA extensions there): compare builds with them, not
 * machines.
 *
 * BENCH_INSTR_TOP=<n> also prints the n functions with the most self instructions in
 * each gateway at the most connections (its JavaScript named from the perf map that
 * `--perf-basic-prof` writes; all threads): where a change's instructions went.
 *
 * Prints human lines, then one JSON line (`{"bench":"instructions",...}`); skipped (a JSON
 * line saying so) when valgrind is not installed. Not a test: asserts nothing.
 *
 * Usage: node bench/micro/instructions.bench.mjs   (after `npm run build`)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, writeGatewayFiles } from '../bench-gateway.mjs';
import {
  callgrindAvailable,
  callgrindControl,
  instructionTotals,
  selfInstructionsByFunction,
  startUnderCallgrind,
} from '../callgrind.mjs';
import { eventOfSize, selectedBodySizes } from '../event-body.mjs';
import { dist, fromDist } from './audit-common.mjs';

if (!callgrindAvailable()) {
  console.log(JSON.stringify({ bench: 'instructions', skipped: 'valgrind not installed' }));
  process.exit(0);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = (process.env.BENCH_INSTR_CONNECTIONS ?? '1,32').split(',').map(Number);
/**
 * Requests before counting and counted, in all, on `connections` connections. More
 * connections take more warm-up: V8 optimises the code that large batches run only once it
 * has run them (32 connections: 464,000 instructions per 1 KiB request after 2,000 warm-up
 * requests, 427,000 after 6,000 or 12,000).
 */
const WARMUP = (connections) =>
  Number(process.env.BENCH_INSTR_WARMUP ?? (connections === 1 ? 1000 : 6000));
const REQUESTS = (connections) =>
  Number(process.env.BENCH_INSTR_REQUESTS ?? (connections === 1 ? 500 : 3000));
const TOP = Number(process.env.BENCH_INSTR_TOP ?? 0);
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

/** POSTs `body`, signed, over one of the agent's connections; resolves with the status. */
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

/**
 * Starts `t` under callgrind, warms it up, counts REQUESTS(connections) requests of
 * `body` sent over `connections` connections; with `top`, also its functions' counts.
 */
async function measure(t, size, body, connections, top) {
  const dir = mkdtempSync(path.join(tmp, `${t.name}-${size}-${connections}-`));
  const port = await freePort();
  const env = { ...gatewayEnv(`${t.name}-${size}-${connections}`), PORT: String(port) };
  const profiled = top > 0 && t.name !== 'echo';
  const child = startUnderCallgrind(
    [...(profiled ? ['--perf-basic-prof'] : []), t.script],
    env,
    dir,
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const perfMap = path.join('/tmp', `perf-${child.pid}.map`);
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
    /** `n` requests, each connection sending its next one when its answer came. */
    const send = async (n) => {
      let left = n;
      const connection = async () => {
        // Taken before sending: exactly `n` go out, however many are in flight.
        while (left > 0) {
          left -= 1;
          const status = await post(port, agent, t.target, body);
          if (status !== 200) throw new Error(`${t.name} answered ${status}`);
        }
      };
      await Promise.all(Array.from({ length: connections }, connection));
    };
    await send(WARMUP(connections));
    callgrindControl(dir, child.pid, '--instr=on');
    const requests = REQUESTS(connections);
    await send(requests);
    const { main, all } = instructionTotals(callgrindControl(dir, child.pid, '-e'));
    if (main === 0) throw new Error(`${t.name}: no count for the main thread`);
    const counts = {
      mainPerRequest: Math.round(main / requests),
      allPerRequest: Math.round(all / requests),
    };
    if (!profiled) return counts;
    callgrindControl(dir, child.pid, '--dump');
    const dump = readdirSync(dir).find((f) => /^callgrind\.\d+\.\d+$/.test(f));
    if (dump === undefined) throw new Error(`${t.name}: callgrind wrote no dump`);
    const functions = selfInstructionsByFunction(
      readFileSync(path.join(dir, dump), 'utf8'),
      readFileSync(perfMap, 'utf8'),
    );
    return { ...counts, functions: functions.slice(0, top), requests };
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await exited;
    rmSync(perfMap, { force: true });
  }
}

/** The lines of a function table: share of all instructions, per request, name. */
function functionLines(label, { functions, requests, allPerRequest }) {
  const shorten = (name) => name.replaceAll(`${path.dirname(dist)}/`, '');
  return [
    `${label}, the functions with the most self instructions (all threads):`,
    ...functions.map(
      (f) =>
        `  ${((100 * f.instructions) / (allPerRequest * requests)).toFixed(2).padStart(6)}% ` +
        `${Math.round(f.instructions / requests)
          .toLocaleString('en')
          .padStart(8)}  ${shorten(f.name)}`,
    ),
  ];
}

const result = {
  bench: 'instructions',
  connections: CONNECTIONS,
  warmup: CONNECTIONS.map(WARMUP),
  requests: CONNECTIONS.map(REQUESTS),
  results: {},
};
const functionTables = [];
try {
  for (const [size, bytes] of Object.entries(selectedBodySizes())) {
    const body = Buffer.from(eventOfSize(bytes));
    result.results[size] = {};
    for (const connections of CONNECTIONS) {
      const top = connections === Math.max(...CONNECTIONS) ? TOP : 0;
      const counts = await Promise.all(
        targets.map((t) => measure(t, size, body, connections, top)),
      );
      const row = {};
      targets.forEach((t, i) => {
        const { mainPerRequest, allPerRequest } = counts[i];
        row[t.name] = { mainPerRequest, allPerRequest };
        if (counts[i].functions !== undefined)
          functionTables.push(
            ...functionLines(`${size} ${t.name}, ${connections} connections`, counts[i]),
          );
      });
      for (const t of targets.slice(1))
        row[`${t.name}ToEcho`] = +(row[t.name].mainPerRequest / row.echo.mainPerRequest).toFixed(2);
      // `c32`: counted over 32 connections.
      result.results[size][`c${connections}`] = row;
      for (const t of targets)
        console.log(
          `${size} ${t.name}, ${connections} connection(s): ${row[t.name].mainPerRequest.toLocaleString('en')} instructions per request on the main thread, ${row[t.name].allPerRequest.toLocaleString('en')} on all threads`,
        );
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
for (const line of functionTables) console.log(line);
console.log(JSON.stringify(result));
