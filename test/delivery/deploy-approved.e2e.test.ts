import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, sha256Hex, signEd25519, toHex } from '../../src/crypto/index.js';
import { verifyReleaseAttestation } from '../../src/verify/index.js';
import { tempDir, testClient } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { REDIS_REQUIRED, sharedRedis } from '../helpers/redis.js';
import { verifyWithLibrary, writeTargetsFile } from './e2e-support.js';
import { newSecret, startReceiver } from './receiver.js';

/**
 * deploy.approved through a real gateway process (docs/protocol.md §11, §10): the approval that
 * reaches the quorum is answered only once the delivery is recorded, and the delivered
 * body carries the release attestation, byte for byte the one the gateway serves, which
 * the project's offline verifier accepts.
 */
const client = testClient('ci-main');
const keys = new Map(['alice', 'bob', 'carol'].map((n) => [n, generateEd25519KeyPair()]));
const policy = {
  version: 1,
  clients: { [client.id]: { actions: ['build', 'deploy'] } },
  approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
  quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
};

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

function approve(g: GatewayProcess, id: string, message: string, name: string) {
  const signature = toHex(
    signEd25519(new TextEncoder().encode(message), keys.get(name)!.secretKey),
  );
  return fetch(`${g.url}/v1/deploys/${id}/approvals`, {
    method: 'POST',
    headers: { 'x-api-key': client.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ approver: name, signature }),
  });
}

const redis = await sharedRedis('dlv-deploy');
const modes: Array<[string, Record<string, string>]> = [['memory mode', {}]];
if (redis.available)
  modes.push(['Redis mode', { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }]);
else if (REDIS_REQUIRED) throw new Error('Redis is not reachable (REQUIRE_REDIS=1 or CI=true)');
cleanup.push(() => redis.cleanup());

describe.each(modes)('deploy.approved deliveries, %s', (_mode, modeEnv) => {
  it('are recorded before the quorum-reaching approval is answered and carry the attestation', async () => {
    const secret = newSecret();
    // The receiver is slow to answer, so a delivery seen in the list right after the 200
    // was recorded by the request path, not sent already by chance.
    const rx = await startReceiver(() => ({ status: 204, delayMs: 300 }));
    cleanup.push(() => rx.close());
    const dir = tempDir('codex-dlv-deploy-');
    const targetsFile = writeTargetsFile(dir, [
      {
        id: 'deployer',
        url: rx.url,
        secrets: [secret],
        events: ['deploy.approved'],
        actions: ['deploy'],
      },
    ]);
    const g = await startGateway({
      dir,
      client,
      policy,
      env: { ...modeEnv, GATEWAY_TARGETS_FILE: targetsFile },
      startTimeoutMs: 30_000,
    });
    cleanup.push(async () => {
      await g.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const artifact = `sha256:${sha256Hex(`artifact ${Math.random()}`)}`;
    const event = {
      action: 'deploy',
      target: 'acme/web',
      steps: [{ name: 'ship', run: './ship.sh' }],
      deploy: { environment: 'prod', artifact },
    };
    const opened = await g.post('/v1/events', event);
    expect(opened.status).toBe(202);
    const { id: decision, deploy } = (await opened.json()) as {
      id: string;
      deploy: { id: string; message: string };
    };
    expect((await approve(g, deploy.id, deploy.message, 'alice')).status).toBe(200);
    // Not approved yet: nothing owed.
    const none = (await (await g.get('/v1/deliveries?state=pending')).json()) as {
      deliveries: unknown[];
    };
    expect(none.deliveries).toEqual([]);
    const quorum = await approve(g, deploy.id, deploy.message, 'bob');
    expect(quorum.status).toBe(200);
    const owed = (await (await g.get('/v1/deliveries?state=pending')).json()) as {
      deliveries: { id: string; type: string; decision: string; target: string }[];
    };
    expect(owed.deliveries).toEqual([
      expect.objectContaining({ type: 'deploy.approved', decision, target: 'deployer' }),
    ]);

    await rx.waitFor((r) => r.length >= 1, 20_000);
    const r = rx.received[0]!;
    expect(r.id).toBe(owed.deliveries[0]!.id);
    const body = verifyWithLibrary(r, secret);
    expect(body.type).toBe('deploy.approved');
    expect(body.data).toMatchObject({ decision, action: 'deploy', target: 'acme/web', event });
    expect(body.data.deploy).toMatchObject({ id: deploy.id, state: 'approved' });
    // The audit object is a receipt (§9): the decision's index and leaf hash, plus checkpoint and proof.
    expect(body.data.audit).toMatchObject(body.data.deploy!['decision'] as object);

    // The attestation delivered is the one served afterwards, and it verifies offline.
    const served = await (await g.get(`/v1/deploys/${deploy.id}/attestation`)).text();
    expect(body.data.attestation).toEqual(JSON.parse(served));
    const vkey = ((await (await g.get('/v1/audit/key')).json()) as { vkey: string }).vkey;
    const result = verifyReleaseAttestation({
      attestation: JSON.stringify(body.data.attestation),
      artifact,
      vkey,
      policy: JSON.stringify(policy),
      environment: 'prod',
      target: 'acme/web',
    });
    expect(result.ok ? result.approvers : result.reason).toEqual(['alice', 'bob']);
    await expect
      .poll(
        async () =>
          (
            (await (await g.get('/v1/deliveries?state=delivered')).json()) as {
              deliveries: { id: string }[];
            }
          ).deliveries.map((d) => d.id),
        { timeout: 10_000 },
      )
      .toEqual([r.id]);
  }, 90_000);
});
