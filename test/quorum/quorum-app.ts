import pino from 'pino';
import { createApp } from '../../src/app.js';
import type { AuditAppender, AuditEntry, AuditReceipt } from '../../src/audit/audit-log.js';
import { openFileAudit } from '../../src/audit/open-file-audit.js';
import { tempDir } from '../helpers/credentials.js';
import { buildClientRegistry, type Scope } from '../../src/config/clients.js';
import { generateCredentials, type NewCredentials } from '../../src/config/dev-client.js';
import { signEd25519, toHex, generateEd25519KeyPair } from '../../src/crypto/index.js';
import type { ActivePolicy, PolicyProvider, PolicyStatus } from '../../src/policy/active-policy.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { signRequest } from '../../src/signing/index.js';

export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array };

/**
 * The real file-backed Merkle audit log (in a temp directory), plus a copy of each
 * appended entry by index so assertions can read them synchronously.
 */
export class RecordingAudit implements AuditAppender {
  readonly entries: AuditEntry[] = [];
  readonly #log = openFileAudit({
    dataDir: tempDir('codex-quorum-'),
    logOrigin: 'test.example/log',
    logKeyFile: undefined,
  });
  /** Fault injection: the next appends matching this fail, as a disk error would. */
  failWhen: ((entry: AuditEntry) => boolean) | undefined;
  async append(entry: AuditEntry): Promise<AuditReceipt> {
    if (this.failWhen?.(entry) === true) throw new Error('injected: EIO');
    const receipt = await (await this.#log).service.append(entry);
    this.entries[receipt.index] = entry;
    return receipt;
  }
}

/** A policy provider whose revision a test replaces, the way the file reloader does. */
export class ReloadablePolicy implements PolicyProvider {
  #active: ActivePolicy | undefined;
  load(doc: unknown): ActivePolicy {
    const result = compilePolicy(new TextEncoder().encode(JSON.stringify(doc)), {
      devMode: false,
      activatedAt: new Date().toISOString(),
    });
    if (!result.ok) throw new Error(`test policy invalid: ${result.errors.join('; ')}`);
    this.#active = result.policy;
    return result.policy;
  }
  current(): ActivePolicy | undefined {
    return this.#active;
  }
  status(): PolicyStatus {
    return this.#active === undefined ? {} : { revision: this.#active.revision };
  }
}

/** A policy document with a deploy quorum over the given approvers. */
export function quorumPolicyDoc(
  clientId: string,
  keys: ReadonlyMap<string, KeyPair>,
  quorum: { threshold: number; approvers: string[]; ttlSeconds?: number },
): Record<string, unknown> {
  return {
    version: 1,
    clients: { [clientId]: { actions: ['build', 'deploy'] } },
    approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
    quorum: { deploy: { ttlSeconds: 900, ...quorum } },
  };
}

/** The real app (createApp) with in-memory adapters, a settable clock and a recording audit. */
export function quorumApp(opts: { names?: string[]; scopes?: Scope[]; startMs?: number } = {}) {
  let now = opts.startMs ?? Date.UTC(2026, 10, 21, 20, 0, 0);
  const clock = { nowMs: () => now };
  const client: NewCredentials = generateCredentials('ci-main', [
    'events:write',
    'approvals:write',
    'audit:read',
  ]);
  const reader = generateCredentials('reader', opts.scopes ?? ['audit:read']);
  const keys = new Map<string, KeyPair>(
    (opts.names ?? ['alice', 'bob', 'carol', 'dave']).map((n) => [n, generateEd25519KeyPair()]),
  );
  const policy = new ReloadablePolicy();
  policy.load(
    quorumPolicyDoc(client.id, keys, { threshold: 2, approvers: ['alice', 'bob', 'carol'] }),
  );
  const audit = new RecordingAudit();
  const deploys = new MemoryPendingDeployStore({ clock });
  const app = createApp({
    clients: buildClientRegistry({ clients: [client.entry, reader.entry] }, { production: false }),
    clock,
    logger: pino({ level: 'silent' }),
    admission: new MemoryAdmissionStore({ capacity: 10_000, toleranceSeconds: 300 }),
    policy,
    deploys,
    audit,
    readiness: [],
    toleranceSeconds: 300,
    bodyLimitBytes: 262_144,
  });

  const enc = new TextEncoder();
  return {
    app,
    client,
    reader,
    keys,
    policy,
    audit,
    deploys,
    advance: (ms: number) => (now += ms),
    nowMs: () => now,
    /** Signed POST /v1/events. */
    postEvent(event: unknown): Promise<Response> {
      const body = JSON.stringify(event);
      const headers = signRequest({
        apiKey: client.apiKey,
        secret: client.signingSecret,
        method: 'POST',
        target: '/v1/events',
        body,
        timestamp: Math.floor(now / 1000),
      });
      return Promise.resolve(
        app.request('/v1/events', {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
        }),
      );
    },
    /** POST /v1/deploys/:id/approvals with a raw body. */
    postApproval(id: string, body: unknown, apiKey = client.apiKey): Promise<Response> {
      return Promise.resolve(
        app.request(`/v1/deploys/${id}/approvals`, {
          method: 'POST',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );
    },
    getDeploy(id: string, apiKey = client.apiKey): Promise<Response> {
      return Promise.resolve(
        app.request(`/v1/deploys/${id}`, { headers: { 'x-api-key': apiKey } }),
      );
    },
    /** `name`'s signature (hex) over `message`, with `key` defaulting to name's own. */
    sign(message: string, name: string): string {
      const key = keys.get(name);
      if (key === undefined) throw new Error(`no key for ${name}`);
      return toHex(signEd25519(enc.encode(message), key.secretKey));
    },
  };
}

export const deployEvent = {
  action: 'deploy',
  target: 'acme/web',
  steps: [{ name: 'ship', run: './ship.sh' }],
  deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
};
