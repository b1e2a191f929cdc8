#!/usr/bin/env node
/**
 * Micro benchmark: codex-sig/v1 verification cost (docs/protocol.md §2 check 4 as the gateway runs
 * it: SHA-256 of the raw body, HMAC-SHA256 of the signed string, constant-time compare),
 * node:crypto against @noble/hashes, at 1 KiB and 64 KiB bodies. Rounds alternate between
 * the two so machine drift hits both sides; the ratio is the figure to read.
 * Prints human lines, then one JSON line (`{"bench":"hmac",...}`) for bench/run.mjs.
 * Not a test: asserts nothing about speed.
 *
 * Usage: node bench/micro/hmac.bench.mjs   (BENCH_ROUND_MS, default 400; 3 rounds per side)
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const ROUNDS = 3;
const secret = Buffer.from('cgs_'.padEnd(68, '7'));
const enc = new TextEncoder();

function signedString(bodyHex) {
  return `codex-sig/v1\n1763755200\n0123456789abcdef0123456789abcdef\nPOST\n/v1/events\n${bodyHex}`;
}

const sides = {
  'node:crypto': (body, expected) => {
    const bodyHex = createHash('sha256').update(body).digest('hex');
    const mac = createHmac('sha256', secret).update(signedString(bodyHex)).digest();
    return timingSafeEqual(mac, expected);
  },
  '@noble/hashes': (body, expected) => {
    const bodyHex = bytesToHex(sha256(body));
    const mac = hmac(sha256, secret, enc.encode(signedString(bodyHex)));
    // Same constant-time compare as the gateway; the hashing is what differs.
    return timingSafeEqual(Buffer.from(mac), expected);
  },
};

/** Verifications per second of `fn` over one round. */
function round(fn, body, expected) {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 32; i++) if (!fn(body, expected)) throw new Error('verify failed');
    n += 32;
  }
  return n / (ROUND_MS / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const size of [1024, 65536]) {
  const body = Buffer.alloc(size, 0x61);
  const bodyHex = createHash('sha256').update(body).digest('hex');
  const expected = createHmac('sha256', secret).update(signedString(bodyHex)).digest();
  const perSide = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (const fn of Object.values(sides)) round(fn, body, expected); // warm-up
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, fn] of Object.entries(sides)) perSide[name].push(round(fn, body, expected));
  const node = median(perSide['node:crypto']);
  const noble = median(perSide['@noble/hashes']);
  const label = size === 1024 ? '1KiB' : '64KiB';
  results[label] = {
    nodeCryptoPerSec: Math.round(node),
    nobleHashesPerSec: Math.round(noble),
    nodeOverNoble: Number((node / noble).toFixed(2)),
    nodeMicrosPerVerify: Number((1e6 / node).toFixed(2)),
  };
  console.log(
    `hmac verify ${label}: node:crypto ${Math.round(node)}/s (${(1e6 / node).toFixed(1)} µs), ` +
      `@noble/hashes ${Math.round(noble)}/s, ratio ${(node / noble).toFixed(2)}x`,
  );
}
console.log(JSON.stringify({ bench: 'hmac', roundMs: ROUND_MS, rounds: ROUNDS, results }));
