import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyCheckpoint } from '../../../src/audit/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../../src/audit/merkle.js';
import { fromHex, sha256Hex, signEd25519, toHex } from '../../../src/crypto/index.js';
import { runCliProcess } from '../../helpers/cli-process.js';
import { tempDir, testClient, writeClientsFile } from '../../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import {
  describeWithPostgres,
  freshDatabase,
  postgresAvailable,
  type TestDatabase,
} from '../../helpers/postgres.js';
import { sharedRedis } from '../../helpers/redis.js';
import { approvers, expectIncluded, logVerifier, mixedPolicy } from '../e2e-support.js';

/**
 * docs/protocol.md §14 through real gateway processes: two instances on ONE fresh PostgreSQL
 * database (and one Redis prefix for pending deploys) append to one log. A deploy opened on
 * A and approved on B leaves every entry in that one log; receipts from both instances
 * verify (the CLI checks one from each against the other instance); /readyz names the
 * audit store; the release attestation is signed with the shared log key; an instance with
 * another key refuses to start.
 */
const pgUp = await postgresAvailable();
const redis = await sharedRedis('pg-gateway-e2e');

interface Receipt {
  index: number;
  leafHash: string;
  checkpoint: string;
  proof: string[];
}

describeWithPostgres(pgUp, 'two gateway processes, one PostgreSQL audit log', () => {
  const client = testClient('ci-main');
  const policy = mixedPolicy(client.id);
  let db: TestDatabase;
  let shared: string;
  let env: Record<string, string>;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    if (!redis.available) throw new Error('this test needs Redis for the pending deploys');
    db = await freshDatabase('gateway_e2e');
    shared = tempDir('codex-pg-gw-');
    env = {
      DATABASE_URL: db.url,
      GATEWAY_LOG_KEY_FILE: path.join(shared, 'log.key'),
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      GATEWAY_CLIENTS_FILE: writeClientsFile(shared, [client]),
    };
    // A creates the key file and the log; B finds both.
    a = await startGateway({ client, policy, env, startTimeoutMs: 30_000 });
    b = await startGateway({ client, policy, env, startTimeoutMs: 30_000 });
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await redis.cleanup();
    await db?.drop();
    rmSync(shared, { recursive: true, force: true });
  });

  it('a deploy opened on A and approved on B ends in one log whose receipts and proofs verify', async () => {
    const { verifier, vkey } = await logVerifier(a);
    expect((await logVerifier(b)).vkey).toBe(vkey);
    const receipts: { from: GatewayProcess; receipt: Receipt }[] = [];
    const opened = await a.post('/v1/events', {
      action: 'deploy',
      target: 'acme/pg',
      steps: [],
      deploy: { environment: 'prod', artifact: `sha256:${sha256Hex('pg')}` },
    });
    expect(opened.status).toBe(202);
    const pending = (await opened.json()) as {
      audit: Receipt;
      deploy: { id: string; message: string };
    };
    receipts.push({ from: a, receipt: pending.audit });
    let released: Receipt | undefined;
    for (const name of ['alice', 'bob']) {
      const signature = toHex(
        signEd25519(new TextEncoder().encode(pending.deploy.message), approvers[name]!.secretKey),
      );
      const res = await fetch(`${b.url}/v1/deploys/${pending.deploy.id}/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': client.apiKey },
        body: JSON.stringify({ approver: name, signature }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const answer = (await res.json()) as { audit: Receipt; decision?: { audit: Receipt } };
      receipts.push({ from: b, receipt: answer.audit });
      if (answer.decision !== undefined) released = answer.decision.audit;
    }
    expect(released).toBeDefined();
    receipts.push({ from: b, receipt: released! });
    // Builds on both instances at once: still one sequence of indices.
    const builds = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const g = i % 2 === 0 ? a : b;
        const res = await g.post('/v1/events', {
          action: 'build',
          target: `acme/pg-${i}`,
          steps: [],
        });
        expect(res.status).toBe(200);
        return { from: g, receipt: ((await res.json()) as { audit: Receipt }).audit };
      }),
    );
    receipts.push(...builds);
    const indices = receipts.map((r) => r.receipt.index);
    expect(new Set(indices).size).toBe(indices.length);

    // Both instances serve the same signed tree, which holds every entry.
    const cpA = verifyCheckpoint(await (await a.get('/v1/audit/checkpoint')).text(), verifier);
    const cpB = verifyCheckpoint(await (await b.get('/v1/audit/checkpoint')).text(), verifier);
    expect(cpA.size).toBe(cpB.size);
    expect(toHex(cpA.root)).toBe(toHex(cpB.root));
    const acks = receipts.map((r) => ({ index: r.receipt.index, leafHash: r.receipt.leafHash }));
    await expectIncluded(a, cpA, acks);
    await expectIncluded(b, cpB, acks);
    // Every receipt verifies on its own, and its checkpoint is consistent with the tree now.
    for (const { receipt } of receipts) {
      const cp = verifyCheckpoint(receipt.checkpoint, verifier);
      expect(
        verifyInclusion(
          fromHex(receipt.leafHash),
          receipt.index,
          cp.size,
          receipt.proof.map(fromHex),
          cp.root,
        ),
      ).toBe(true);
      if (cp.size < cpA.size) {
        const c = (await (
          await b.get(`/v1/audit/proofs/consistency?from=${cp.size}&to=${cpA.size}`)
        ).json()) as { proof: string[] };
        expect(verifyConsistency(cp.size, cpA.size, c.proof.map(fromHex), cp.root, cpA.root)).toBe(
          true,
        );
      }
    }
    // The approval entries and the allow decision sit in the same log as the pending one.
    const types = await Promise.all(
      receipts.slice(0, 4).map(async (r) => {
        const e = (await (await a.get(`/v1/audit/entries/${r.receipt.index}`)).json()) as {
          entry: { type: string };
        };
        return e.entry.type;
      }),
    );
    expect(types).toEqual(['decision', 'approval', 'approval', 'decision']);

    // The real CLI: a receipt answered by A checked against B, and one from B against A.
    const fromA = path.join(shared, 'receipt-a.json');
    const fromB = path.join(shared, 'receipt-b.json');
    writeFileSync(fromA, JSON.stringify(receipts[0]!.receipt));
    writeFileSync(fromB, JSON.stringify(released));
    for (const [file, g] of [
      [fromA, b],
      [fromB, a],
    ] as const) {
      const r = await runCliProcess(
        [
          'audit',
          'verify',
          '--receipt',
          file,
          '--vkey',
          vkey,
          '--url',
          g.url,
          '--api-key',
          client.apiKey,
        ],
        { timeoutMs: 30_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^audit verify: OK: receipt for entry \d+/);
    }

    // The release attestation is signed with the shared log key, by either instance.
    const att = await b.get(`/v1/deploys/${pending.deploy.id}/attestation`);
    expect(att.status, await att.clone().text()).toBe(200);
    expect(await (await a.get(`/v1/deploys/${pending.deploy.id}/attestation`)).text()).toBe(
      await att.text(),
    );
  }, 120_000);

  it('/readyz (which checks the audit store) is ready on both; /metrics has the batch metrics', async () => {
    for (const g of [a, b]) {
      const res = await fetch(`${g.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', failing: [] });
      const text = await (await g.get('/metrics')).text();
      for (const name of [
        'gateway_audit_batch_size',
        'gateway_audit_batch_commit_seconds',
        'gateway_audit_sequence_lock_wait_seconds',
      ])
        expect(text).toMatch(new RegExp(`^${name}_count [1-9]`, 'm'));
    }
  });

  it('an instance with another log key refuses to start, in one line', async () => {
    const err = (await startGateway({
      client,
      policy,
      env: { ...env, GATEWAY_LOG_KEY_FILE: path.join(shared, 'other.key') },
      startTimeoutMs: 30_000,
    }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/gateway exited with 1/);
    expect(err.message).toMatch(
      /codex-gateway: audit log refused: the database's log was created with another key/,
    );
  }, 60_000);
});
