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
 * Also measures, through the same `checkApproval`, approvals carrying an `sshSignature`
 * (docs/protocol.md §12): SSHSIG made with an `ssh-ed25519` key (armor parsing, the blob's fields,
 * the signed-data rebuild with SHA-512, one strict verification) and with an
 * `sk-ssh-ed25519@openssh.com` key (plus the FIDO wrapping), built to the exact formats.
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
const crypto = await load('crypto/index.js');
const { generateEd25519KeyPair, signEd25519, toHex, sha256Hex } = crypto;
const { parseApproverKey } = await load('policy/approver-key.js');

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
  approver: (name) => (keys.has(name) ? approverKeyOf(keys.get(name).publicKey) : undefined),
  approverNames: names,
};
function approverKeyOf(publicKey) {
  const parsed = parseApproverKey(toHex(publicKey));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.key;
}

// Policies for the SSH rounds: the same names, every key an ssh-ed25519 line, or an sk line.
const sshPolicy = (type) => {
  const listed = new Map(
    names.map((n) => {
      const k =
        type === 'ssh-ed25519'
          ? { type, publicKey: keys.get(n).publicKey }
          : { type, publicKey: keys.get(n).publicKey, application: 'ssh:' };
      const line = `${type} ${Buffer.from(crypto.sshKeyBlob(k)).toString('base64')} ${n}`;
      const parsed = parseApproverKey(line);
      if (!parsed.ok) throw new Error(parsed.problem);
      return [n, parsed.key];
    }),
  );
  return { ...policy, approverKey: () => undefined, approver: (n) => listed.get(n) };
};
const policies = {
  raw: policy,
  ssh: sshPolicy('ssh-ed25519'),
  sk: sshPolicy('sk-ssh-ed25519@openssh.com'),
};

/** An armored SSHSIG of `msg` by `secretKey` as `key`, following PROTOCOL.sshsig / .u2f exactly. */
function sshsig(msg, secretKey, key) {
  const { concatBytes, sshString, sshUint32, sshsigSignedData, skSignedData, armorSshSignature } =
    crypto;
  const data = sshsigSignedData('codex-approval', 'sha512', msg);
  const sigField =
    key.type === 'ssh-ed25519'
      ? concatBytes(sshString(key.type), sshString(signEd25519(data, secretKey)))
      : concatBytes(
          sshString(key.type),
          sshString(signEd25519(skSignedData(key.application, 1, 1, data), secretKey)),
          Uint8Array.of(1),
          sshUint32(1),
        );
  return armorSshSignature(
    concatBytes(
      enc.encode('SSHSIG'),
      sshUint32(1),
      sshString(crypto.sshKeyBlob(key)),
      sshString('codex-approval'),
      sshString(new Uint8Array(0)),
      sshString('sha512'),
      sshString(sigField),
    ),
  );
}
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
  const sshKey = { type: 'ssh-ed25519', publicKey };
  const skKey = { type: 'sk-ssh-ed25519@openssh.com', publicKey, application: 'ssh:' };
  return {
    deploy,
    request: { approver, signature: toHex(sig) },
    requests: {
      raw: { approver, signature: toHex(sig) },
      ssh: { approver, sshSignature: sshsig(msg, secretKey, sshKey) },
      sk: { approver, sshSignature: sshsig(msg, secretKey, skKey) },
    },
    msg,
    sig,
    nodeKey,
  };
});

function kindRound(kind) {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    const c = cases[n % DEPLOYS];
    if (!checkApproval(c.deploy, c.requests[kind], policies[kind], nowMs).ok)
      throw new Error(`bench: ${kind} approval rejected`);
    n++;
  }
  return n;
}

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
kindRound('ssh');
kindRound('sk');
const gw = [];
const node = [];
const ssh = [];
const sk = [];
for (let r = 0; r < ROUNDS; r++) {
  gw.push((gatewayRound() * 1000) / ROUND_MS);
  node.push((nodeRound() * 1000) / ROUND_MS);
  ssh.push((kindRound('ssh') * 1000) / ROUND_MS);
  sk.push((kindRound('sk') * 1000) / ROUND_MS);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const g = median(gw);
const o = median(node);
const s = median(ssh);
const k = median(sk);
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
  `quorum: SSH-signature approvals verified per second (sshSignature, ssh-ed25519):  ${Math.round(s)}  (ratio to raw ${(s / g).toFixed(3)})`,
);
console.log(
  `quorum: SSH-signature approvals verified per second (sshSignature, sk-ed25519):   ${Math.round(k)}  (ratio to raw ${(k / g).toFixed(3)})`,
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
      sshSignatureApprovalsVerifiedPerSec: Math.round(s),
      skSshSignatureApprovalsVerifiedPerSec: Math.round(k),
      sshOverRaw: Number((s / g).toFixed(3)),
    },
  }),
);
