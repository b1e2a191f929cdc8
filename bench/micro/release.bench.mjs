#!/usr/bin/env node
/**
 * Micro benchmark: release attestations verified per second, offline (docs/protocol.md §10).
 *
 * Builds one real attestation the way the gateway does (a file-backed audit log in a temp
 * dir with 1,000 earlier entries, the `allow` leaf, a signed checkpoint and inclusion proof,
 * two approver votes, a DSSE envelope signed with the log key), then measures, alternating
 * in the same run:
 * - `verify`: `verifyReleaseAttestation` with the trusted policy and vkey loaded once (what
 *   a long-running deploy service does): the five checks, i.e. JSON + schema, 4 strict
 *   Ed25519 verifications (envelope, 2 votes, checkpoint) and the Merkle path;
 * - `verify+policy`: the same, parsing the policy file text each time (what one
 *   `codex-gateway release verify` process does);
 * - `ed25519`: one strict Ed25519 verification of the project's crypto module (baseline:
 *   a verification costs at least 4 of these).
 * Prints human lines, then one JSON line (`{"bench":"release",...}`). Not a test.
 *
 * Usage: node bench/micro/release.bench.mjs   (after `npm run build`; BENCH_DIST=dir,
 * BENCH_ROUND_MS default 1000)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(here, '../../dist'));
if (!existsSync(path.join(dist, 'verify/index.js'))) {
  console.error(`release.bench: ${dist}/verify/index.js not found; run \`npm run build\` first`);
  process.exit(1);
}
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { verifyReleaseAttestation, loadTrustedPolicy, loadVkey } = await load('verify/index.js');
const { openFileAudit } = await load('audit/open-file-audit.js');
const { decisionEntry, policyEntry } = await load('audit/entry.js');
const { parseCheckpointText } = await load('audit/checkpoint.js');
const { createReleaseSigner, envelopeText } = await load('release/release-attestation.js');
const { buildReleaseStatement } = await load('release/release-statement.js');
const { buildApprovalMessage } = await load('quorum/approval-message.js');
const crypto = await load('crypto/index.js');

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);
const ROUNDS = 3;
const dir = mkdtempSync(path.join(tmpdir(), 'release-bench-'));

try {
  const audit = await openFileAudit({
    dataDir: dir,
    logOrigin: 'bench.example/log',
    logKeyFile: undefined,
  });
  const names = ['alice', 'bob', 'carol'];
  const keys = new Map(names.map((n) => [n, crypto.generateEd25519KeyPair()]));
  const policyText = JSON.stringify({
    version: 1,
    clients: { 'ci-main': { actions: ['deploy'] } },
    approvers: Object.fromEntries([...keys].map(([n, k]) => [n, crypto.toHex(k.publicKey)])),
    quorum: { deploy: { threshold: 2, approvers: names, ttlSeconds: 900 } },
  });
  const revision = `sha256:${crypto.sha256Hex(policyText)}`;
  const artifact = `sha256:${crypto.sha256Hex('artifact')}`;
  const expires = Math.floor(Date.now() / 1000) + 900;
  const deploy = {
    id: crypto.randomId(),
    action: 'deploy',
    target: 'acme/web',
    environment: 'prod',
    artifact,
    request: `sha256:${crypto.sha256Hex('body')}`,
    policy: revision,
  };
  const message = buildApprovalMessage({ ...deploy, deploy: deploy.id, expires });
  for (let i = 0; i < 1000; i++)
    await audit.service.append(policyEntry({ nowMs: Date.now(), id: crypto.randomId(), revision }));
  const receipt = await audit.service.append(
    decisionEntry({
      nowMs: Date.now(),
      id: crypto.randomId(),
      client: 'ci-main',
      action: 'deploy',
      target: deploy.target,
      decision: 'allow',
      reasons: [],
      policy: revision,
      request: deploy.request,
      deploy: deploy.id,
      approvers: ['alice', 'bob'],
    }),
  );
  const note = await audit.service.checkpoint();
  const size = parseCheckpointText(note.slice(0, note.indexOf('\n\n') + 1)).size;
  const inclusion = await audit.service.inclusion(receipt.index, size);
  const [entry] = await audit.service.entries(receipt.index, 1);
  const logKey = audit.logKey;
  const vote = (n) => ({
    approver: n,
    publicKey: crypto.toHex(keys.get(n).publicKey),
    signature: crypto.toHex(
      crypto.signEd25519(new TextEncoder().encode(message), keys.get(n).secretKey),
    ),
  });
  const statement = buildReleaseStatement({
    deploy: { ...deploy, expiresAt: new Date(expires * 1000).toISOString(), message },
    quorum: { threshold: 2, approvers: names },
    approvals: [vote('alice'), vote('bob')],
    log: {
      origin: 'bench.example/log',
      index: receipt.index,
      leafHash: receipt.leafHash,
      leaf: entry.leaf,
      checkpoint: note,
      proof: inclusion.proof,
    },
  });
  const attestation = envelopeText(
    createReleaseSigner(logKey.verifier, logKey.secretKey).sign(statement),
  );
  const vkeyText = audit.service.key().vkey;
  const policy = loadTrustedPolicy(policyText);
  const vkey = loadVkey(vkeyText);
  await audit.close();

  const check = verifyReleaseAttestation({ attestation, artifact, vkey, policy });
  if (!check.ok) throw new Error(`bench attestation does not verify: ${check.reason}`);

  const msgBytes = new TextEncoder().encode(message);
  const sig = crypto.fromHex(vote('alice').signature);
  const sides = {
    verify: () => verifyReleaseAttestation({ attestation, artifact, vkey, policy }).ok,
    'verify+policy': () =>
      verifyReleaseAttestation({ attestation, artifact, vkey: vkeyText, policy: policyText }).ok,
    ed25519: () => crypto.verifyEd25519(sig, msgBytes, keys.get('alice').publicKey),
  };
  const best = Object.fromEntries(Object.keys(sides).map((k) => [k, 0]));
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, fn] of Object.entries(sides)) {
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < ROUND_MS) {
        if (!fn()) throw new Error(`${name} failed`);
        n++;
        if ((n & 7) === 0) t = performance.now();
      }
      t = performance.now();
      best[name] = Math.max(best[name], (n * 1000) / (t - t0));
    }
  const bytes = Buffer.byteLength(attestation);
  console.log(
    `attestation: ${bytes} bytes, proof of ${inclusion.proof.length} hashes in a log of ${size}`,
  );
  for (const [name, rate] of Object.entries(best))
    console.log(`${name.padEnd(14)} ${rate.toFixed(0)} /s`);
  console.log(
    `verify / ed25519 = ${(best.verify / best.ed25519).toFixed(3)} (4 signatures per attestation)`,
  );
  console.log(
    JSON.stringify({
      bench: 'release',
      attestationBytes: bytes,
      verificationsPerSecond: Math.round(best.verify),
      verificationsWithPolicyParsePerSecond: Math.round(best['verify+policy']),
      ed25519PerSecond: Math.round(best.ed25519),
      ratioToEd25519: Number((best.verify / best.ed25519).toFixed(3)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
