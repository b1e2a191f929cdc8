#!/usr/bin/env node
/**
 * Micro benchmark: deploy approvals verified per second.
 *
 * Measures `checkApproval` (the whole pure decision of POST /v1/deploys/:id/approvals:
 * state and expiry, quorum membership under the current policy, strict RFC 8032 Ed25519
 * verification with @noble/ed25519 over the stored message) on valid approvals, and, in
 * the same run and alternating with it, node:crypto's (OpenSSL) Ed25519 verification of
 * the same signatures as a baseline. Figures drift ±30% between runs on small machines;
 * read the ratio. Not a test: it asserts nothing about speed.
 *
 * Usage: node bench/micro/quorum.bench.mjs   (after `npm run build`; BENCH_DIST=dir to
 * point at another build, BENCH_ROUND_MS to change the length of one round, default 1000)
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(here, '../../dist'));
if (!existsSync(path.join(dist, 'quorum/index.js'))) {
  console.error(`quorum.bench: ${dist}/quorum/index.js not found; run \`npm run build\` first`);
  process.exit(1);
}
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { checkApproval, openPendingDeploy } = await load('quorum/index.js');
const { generateEd25519KeyPair, signEd25519, toHex, sha256Hex } = await load('crypto/index.js');

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);
const ROUNDS = 3;
const DEPLOYS = 64;

const names = ['alice', 'bob', 'carol'];
const keys = new Map(names.map((n) => [n, generateEd25519KeyPair()]));
const rule = { threshold: 2, approvers: names, ttlSeconds: 900 };
const policy = {
  revision: `sha256:${sha256Hex('bench-policy')}`,
  activatedAt: new Date().toISOString(),
  ratePerMinute: () => undefined,
  evaluate: () => ({ decision: 'allow', reasons: [] }),
  quorumFor: (action) => (action === 'deploy' ? rule : undefined),
  approverKey: (name) => keys.get(name)?.publicKey,
};
const nowMs = Date.now();
const enc = new TextEncoder();

// A pool of distinct deploys and one valid approval each, so no result can be cached.
const cases = Array.from({ length: DEPLOYS }, (_, i) => {
  const deploy = openPendingDeploy({
    decisionId: `d${i}`,
    clientId: 'ci-main',
    event: {
      action: 'deploy',
      target: 'acme/web',
      steps: [],
      deploy: { environment: 'prod', artifact: `sha256:${sha256Hex(String(i))}` },
    },
    requestDigest: `sha256:${sha256Hex(`body-${i}`)}`,
    policyRevision: policy.revision,
    rule,
    nowMs,
  });
  const approver = names[i % names.length];
  const { secretKey, publicKey } = keys.get(approver);
  const msg = enc.encode(deploy.message);
  const sig = signEd25519(msg, secretKey);
  const nodeKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return { deploy, request: { approver, signature: toHex(sig) }, msg, sig, nodeKey };
});

function gatewayRound() {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    const c = cases[n % DEPLOYS];
    if (!checkApproval(c.deploy, c.request, policy, nowMs).ok) throw new Error('bench: rejected');
    n++;
  }
  return n;
}

function nodeRound() {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    const c = cases[n % DEPLOYS];
    if (!nodeVerify(null, c.msg, c.nodeKey, c.sig)) throw new Error('bench: rejected');
    n++;
  }
  return n;
}

gatewayRound();
nodeRound(); // warm-up both sides
const gw = [];
const node = [];
for (let r = 0; r < ROUNDS; r++) {
  gw.push((gatewayRound() * 1000) / ROUND_MS);
  node.push((nodeRound() * 1000) / ROUND_MS);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const g = median(gw);
const o = median(node);
console.log(
  `quorum: approvals verified per second (checkApproval, @noble/ed25519 strict): ${Math.round(g)}`,
);
console.log(
  `quorum: baseline node:crypto Ed25519 verify per second (same signatures):     ${Math.round(o)}`,
);
console.log(
  `quorum: ratio gateway/baseline: ${(g / o).toFixed(3)}  (rounds: ${gw.map(Math.round).join(', ')} vs ${node.map(Math.round).join(', ')})`,
);
console.log(
  JSON.stringify({
    bench: 'quorum',
    roundMs: ROUND_MS,
    rounds: ROUNDS,
    results: {
      approvalsVerifiedPerSec: Math.round(g),
      nodeCryptoEd25519VerifyPerSec: Math.round(o),
      approvalsOverNodeCrypto: Number((g / o).toFixed(3)),
      microsPerApproval: Number((1e6 / g).toFixed(1)),
    },
  }),
);
