import { expect } from 'vitest';
import {
  parseVkey,
  verifyCheckpoint,
  type Checkpoint,
  type NoteVerifier,
} from '../../src/audit/checkpoint.js';
import { auditCommand } from '../../src/cli/audit.js';
import {
  fromHex,
  generateEd25519KeyPair,
  sha256Hex,
  signEd25519,
  toHex,
} from '../../src/crypto/index.js';
import { openPolicy } from '../helpers/credentials.js';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { refVerifyConsistency, refVerifyInclusion } from './independent-verifier.js';

/** An entry the gateway acknowledged: the answer cited this index and leaf hash. */
export interface Ack {
  readonly index: number;
  readonly leafHash: string;
  /** Raw body of the event request, when the ack answered an event. */
  readonly body?: string;
}

export const approvers = Object.fromEntries(
  ['alice', 'bob', 'carol'].map((n) => [n, generateEd25519KeyPair()] as const),
);

/** A policy with a deny pattern and a 2-of-3 deploy quorum, so load mixes every entry kind. */
export function mixedPolicy(clientId: string, extra: Record<string, unknown> = {}) {
  return openPolicy([clientId], {
    deny: { patterns: [{ name: 'rm_root', regex: 'rm\\s+-rf\\s+/(\\s|$)' }] },
    approvers: Object.fromEntries(
      Object.entries(approvers).map(([n, k]) => [n, toHex(k.publicKey)]),
    ),
    quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
    ...extra,
  });
}

/** Sends one event; returns the ack when the answer cites an audit entry. */
export async function sendEvent(
  gw: GatewayProcess,
  event: unknown,
): Promise<Ack & { status: number; answer: Record<string, unknown> }> {
  const body = JSON.stringify(event);
  const res = await gw.post('/v1/events', body);
  const answer = (await res.json()) as Record<string, unknown>;
  const audit = answer['audit'] as { index: number; leafHash: string } | undefined;
  if (audit === undefined)
    throw new Error(`no audit in answer ${res.status} ${JSON.stringify(answer)}`);
  return { status: res.status, answer, index: audit.index, leafHash: audit.leafHash, body };
}

/** Every kind of entry: allows, denies, a pending deploy, two approvals (closing it). */
export async function mixedLoad(gw: GatewayProcess, tag: string): Promise<Ack[]> {
  const acks: Ack[] = [];
  const builds = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      sendEvent(gw, {
        action: 'build',
        target: `acme/${tag}-${i}`,
        steps: [{ name: 's', run: 'make' }],
      }),
    ),
  );
  builds.forEach((b) => expect(b.status).toBe(200));
  acks.push(...builds);
  const deny = await sendEvent(gw, {
    action: 'test',
    target: `acme/${tag}`,
    steps: [{ name: 'x', run: 'rm -rf /' }],
  });
  expect(deny.status).toBe(403);
  acks.push(deny);
  const artifact = `sha256:${sha256Hex(tag)}`;
  const pending = await sendEvent(gw, {
    action: 'deploy',
    target: `acme/${tag}`,
    steps: [],
    deploy: { environment: 'prod', artifact },
  });
  expect(pending.status).toBe(202);
  acks.push(pending);
  const deploy = pending.answer['deploy'] as { id: string; message: string };
  for (const name of ['alice', 'bob']) {
    const signature = toHex(
      signEd25519(new TextEncoder().encode(deploy.message), approvers[name]!.secretKey),
    );
    const res = await fetch(`${gw.url}/v1/deploys/${deploy.id}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': gw.client.apiKey },
      body: JSON.stringify({ approver: name, signature }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const answer = (await res.json()) as { audit: Ack; decision?: { audit: Ack } };
    acks.push(answer.audit);
    if (answer.decision !== undefined) acks.push(answer.decision.audit);
  }
  return acks;
}

/** The log's verifier, from GET /v1/audit/key. */
export async function logVerifier(
  gw: GatewayProcess,
): Promise<{ vkey: string; verifier: NoteVerifier }> {
  const key = (await (await gw.get('/v1/audit/key')).json()) as { vkey: string };
  return { vkey: key.vkey, verifier: parseVkey(key.vkey) };
}

/** Fetches and verifies the signed checkpoint. */
export async function signedCheckpoint(
  gw: GatewayProcess,
  verifier: NoteVerifier,
): Promise<Checkpoint> {
  const res = await gw.get('/v1/audit/checkpoint');
  expect(res.status).toBe(200);
  return verifyCheckpoint(await res.text(), verifier);
}

async function getJson(gw: GatewayProcess, target: string): Promise<Record<string, unknown>> {
  const res = await gw.get(target);
  expect(res.status, `${target}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Each ack is in the signed tree: same leaf hash, inclusion proof checked independently. */
export async function expectIncluded(
  gw: GatewayProcess,
  cp: Checkpoint,
  acks: readonly Ack[],
): Promise<void> {
  for (const ack of acks) {
    expect(ack.index).toBeLessThan(cp.size);
    const p = await getJson(gw, `/v1/audit/proofs/inclusion?index=${ack.index}&size=${cp.size}`);
    expect(p['leafHash']).toBe(ack.leafHash);
    const proof = (p['proof'] as string[]).map(fromHex);
    expect(refVerifyInclusion(ack.index, cp.size, fromHex(ack.leafHash), proof, cp.root)).toBe(
      true,
    );
  }
}

/** The signed checkpoint `cp` extends each earlier one (consistency proof checked independently). */
export async function expectConsistent(
  gw: GatewayProcess,
  cp: Checkpoint,
  earlier: readonly Checkpoint[],
): Promise<void> {
  for (const old of earlier) {
    if (old.size === 0) continue;
    const c = await getJson(gw, `/v1/audit/proofs/consistency?from=${old.size}&to=${cp.size}`);
    const ok = refVerifyConsistency(
      old.size,
      cp.size,
      old.root,
      cp.root,
      (c['proof'] as string[]).map(fromHex),
    );
    expect(ok, `checkpoint ${cp.size} vs earlier ${old.size}`).toBe(true);
  }
}

/** Runs the auditor CLI in-process; returns exit code and output. */
export async function runAudit(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await auditCommand(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
