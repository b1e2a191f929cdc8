import { Writable } from 'node:stream';
import { createApp, type AppDeps } from '../../src/app.js';
import type { AuditAppender } from '../../src/audit/audit-log.js';
import type { AuditReader } from '../../src/audit/audit-service.js';
import type { Clock } from '../../src/clock.js';
import { buildClientRegistry } from '../../src/config/clients.js';
import type { NewCredentials } from '../../src/config/dev-client.js';
import { createLogger } from '../../src/logger.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { ActivePolicy, PolicyProvider } from '../../src/policy/active-policy.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { signRequest } from '../../src/signing/index.js';
import { openPolicy, testClient } from './credentials.js';
import { openFileAudit } from '../../src/audit/open-file-audit.js';
import { tempDir } from './credentials.js';

/** A clock a test can move. */
export class TestClock implements Clock {
  constructor(public ms = Date.now()) {}
  nowMs(): number {
    return this.ms;
  }
}

/** Compiles a policy document exactly as the server does and serves it. */
export function fixedPolicy(doc: unknown): PolicyProvider {
  const result = compilePolicy(new TextEncoder().encode(JSON.stringify(doc)), {
    devMode: false,
    activatedAt: new Date().toISOString(),
  });
  if (!result.ok) throw new Error(`test policy invalid: ${result.errors.join('; ')}`);
  const active: ActivePolicy = result.policy;
  return { current: () => active, status: () => ({ revision: active.revision }) };
}

export interface TestAppOptions {
  readonly clients?: readonly NewCredentials[];
  readonly policy?: PolicyProvider;
  readonly clock?: TestClock;
  readonly audit?: AuditAppender;
  /** Mounts GET /v1/audit/* over this reader (usually the same AuditService as `audit`). */
  readonly auditReader?: AuditReader;
  readonly nonceCapacity?: number;
  readonly bodyLimitBytes?: number;
  /** Delivery targets and outbox (docs/protocol.md §11); absent: nothing is owed. */
  readonly deliveries?: AppDeps['deliveries'];
}

/**
 * The real app with in-memory stores, a real file-backed audit log in a temp directory
 * (unless `audit` is given), a capturing logger and a movable clock.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const clients = options.clients ?? [testClient()];
  const clock = options.clock ?? new TestClock();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const admission = new MemoryAdmissionStore({
    capacity: options.nonceCapacity ?? 10_000,
    toleranceSeconds: 300,
  });
  const fileAudit =
    options.audit === undefined
      ? await openFileAudit({
          dataDir: tempDir('codex-app-'),
          logOrigin: 'test.example/log',
          logKeyFile: undefined,
        })
      : undefined;
  const audit: AuditAppender = options.audit ?? fileAudit!.service;
  const auditReader = options.auditReader ?? fileAudit?.service;
  const policy = options.policy ?? fixedPolicy(openPolicy(clients.map((c) => c.id)));
  const app = createApp({
    clients: buildClientRegistry({ clients: clients.map((c) => c.entry) }, { production: false }),
    clock,
    logger: createLogger('debug', sink),
    admission,
    policy,
    deploys: new MemoryPendingDeployStore({ clock }),
    audit,
    ...(auditReader !== undefined && { auditReader }),
    readiness: [{ name: 'policy', check: () => policy.current() !== undefined }],
    toleranceSeconds: 300,
    bodyLimitBytes: options.bodyLimitBytes ?? 262_144,
    ...(options.deliveries !== undefined && { deliveries: options.deliveries }),
  });
  const client = clients[0]!;
  /** Signs and sends; `tamper` may change the request after signing. */
  const send = async (
    body: string | Uint8Array,
    opts: {
      target?: string;
      method?: string;
      signMethod?: string;
      signTarget?: string;
      timestamp?: number;
      nonce?: string;
      headers?: Record<string, string>;
      as?: NewCredentials;
      sendBody?: string | Uint8Array;
    } = {},
  ): Promise<Response> => {
    const who = opts.as ?? client;
    const target = opts.target ?? '/v1/events';
    const signed = signRequest({
      apiKey: who.apiKey,
      secret: who.signingSecret,
      method: opts.signMethod ?? opts.method ?? 'POST',
      target: opts.signTarget ?? target,
      body,
      timestamp: opts.timestamp ?? Math.floor(clock.ms / 1000),
      ...(opts.nonce === undefined ? {} : { nonce: opts.nonce }),
    });
    return app.request(target, {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...signed, ...opts.headers },
      body: opts.sendBody ?? body,
    });
  };
  return { app, clock, client, clients, audit, auditReader, admission, logLines, send };
}
