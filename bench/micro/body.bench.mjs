#!/usr/bin/env node
/**
 * Micro benchmark: the work every signed event's body needs whatever else the gateway
 * does, on the bench's own bodies (bench/event-body.mjs): the SHA-256 that check 4's
 * signature covers, and check 7's parse (strict UTF-8 decoding, `JSON.parse`, the depth
 * and duplicate-key checks, the event's shape: `parseJsonBody`), each as the gateway runs
 * it, plus `JSON.parse` alone. bench/report.mjs sets the 64 KiB figures against the echo's
 * CPU per request: how close to the echo any gateway that does this work can come.
 * Prints human lines, then one JSON line (`{"bench":"body",...}`) for bench/run.mjs.
 * Not a test: asserts nothing about speed.
 *
 * Usage: node bench/micro/body.bench.mjs   (BENCH_ROUND_MS, default 300; 5 rounds; the
 * median counts. BENCH_DIST: another build's dist directory.)
 */
import { BODY_SIZES, eventOfSize } from '../event-body.mjs';
import { fromDist, median } from './audit-common.mjs';

const { sha256Hex } = await fromDist('crypto/index.js', 'body.bench');
const { parseJsonBody } = await fromDist('http/json-body.js', 'body.bench');
const { eventSchema } = await fromDist('events/event-schema.js', 'body.bench');
const { acceptEvent } = await fromDist('events/event-validator.js', 'body.bench');

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const ROUNDS = 5;

/** Microseconds per call of `fn` over one round. */
function round(fn) {
  let n = 0;
  const start = performance.now();
  const end = start + ROUND_MS;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    now = performance.now();
  }
  return ((now - start) * 1000) / n;
}

const results = {};
for (const [label, size] of Object.entries(BODY_SIZES)) {
  const text = eventOfSize(size);
  const body = Buffer.from(text);
  const steps = {
    sha256Us: () => sha256Hex(body),
    parseJsonBodyUs: () => parseJsonBody(eventSchema, 'application/json', body, acceptEvent),
    jsonParseUs: () => JSON.parse(text),
  };
  const times = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (const fn of Object.values(steps)) round(fn); // warm-up
  // Steps alternate inside each round, so machine drift hits all of them.
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, fn] of Object.entries(steps)) times[name].push(round(fn));
  const figures = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, Number(median(v).toFixed(1))]),
  );
  figures.requiredUs = Number((figures.sha256Us + figures.parseJsonBodyUs).toFixed(1));
  results[label] = figures;
  console.log(
    `body ${label}: SHA-256 ${figures.sha256Us} µs, parseJsonBody ${figures.parseJsonBodyUs} µs ` +
      `(JSON.parse alone ${figures.jsonParseUs} µs): ${figures.requiredUs} µs per body`,
  );
}
console.log(JSON.stringify({ bench: 'body', results }));
