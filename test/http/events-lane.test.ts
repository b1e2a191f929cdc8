import { serve } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createRequestListener, type AppDeps } from '../../src/app.js';
import { openFileAudit } from '../../src/audit/open-file-audit.js';
import { buildClientRegistry } from '../../src/config/clients.js';
import { generateCredentials, type NewCredentials } from '../../src/config/dev-client.js';
import { generateEd25519KeyPair, toHex } from '../../src/crypto/index.js';
import { createLogger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics/metrics-port.js';
import { MemoryPendingDeployStore } from '../../src/quorum/memory-pending-deploy-store.js';
import type { AdmissionStore } from '../../src/replay/admission.js';
import { MemoryAdmissionStore } from '../../src/replay/memory-admission.js';
import { signRequest } from '../../src/signing/index.js';
import { tempDir } from '../helpers/credentials.js';
import { fixedPolicy, TestClock } from '../helpers/test-app.js';

/**
 * The Node lane of `POST /v1/events` (src/http/events-lane.ts, issue 19) against the Hono
 * app it bypasses, served as before by @hono/node-server: one set of dependencies behind
 * two real servers, every outcome of the route sent to both over raw sockets. The bytes on
 * the wire (status line, header lines with their case and order, body), the log lines and
 * the metrics must be the same; only what differs by nature is masked (the Date header,
 * the ids and receipts the gateway mints per request, the log time and duration).
 */

const CI = generateCredentials('ci-main', ['events:write']);
const LIMITED = generateCredentials('ci-limited', ['events:write']);
const READER = generateCredentials('reader', ['audit:read']);
const LIMIT = 4096;

interface Pair {
  readonly lane: number;
  readonly app: number;
  readonly logs: string[];
  readonly metrics: unknown[][];
  close(): Promise<void>;
}

const recordingMetrics = (calls: unknown[][]): Metrics => ({
  // Durations and times vary: the call and its other arguments are what must agree.
  request: (route, method, status) => calls.push(['request', route, method, status]),
  refusal: (code) => calls.push(['refusal', code]),
  decision: (outcome, reasons) => calls.push(['decision', outcome, [...reasons]]),
  stage: (stage) => calls.push(['stage', stage]),
  checkpoint: () => calls.push(['checkpoint']),
});

async function startPair(clock: TestClock, admission?: AdmissionStore): Promise<Pair> {
  const logs: string[] = [];
  const metrics: unknown[][] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const keys = ['alice', 'bob', 'carol'].map((n) => [n, toHex(generateEd25519KeyPair().publicKey)]);
  const policy = fixedPolicy({
    version: 1,
    clients: {
      [CI.id]: { actions: ['build', 'deploy'] },
      [LIMITED.id]: { actions: ['build'], ratePerMinute: 1 },
    },
    deny: { patterns: [{ name: 'rm_root', regex: 'rm\\s+-rf\\s+/(\\s|$)' }] },
    approvers: Object.fromEntries(keys),
    quorum: { deploy: { threshold: 2, approvers: ['alice', 'bob', 'carol'], ttlSeconds: 900 } },
  });
  const audit = await openFileAudit({
    dataDir: tempDir('codex-lane-'),
    logOrigin: 'test.example/log',
    logKeyFile: undefined,
  });
  const deps: AppDeps = {
    clients: buildClientRegistry(
      { clients: [CI.entry, LIMITED.entry, READER.entry] },
      { production: false },
    ),
    clock,
    logger: createLogger('info', sink),
    admission: admission ?? new MemoryAdmissionStore({ capacity: 10_000, toleranceSeconds: 300 }),
    policy,
    deploys: new MemoryPendingDeployStore({ clock }),
    audit: audit.service,
    auditReader: audit.service,
    readiness: [],
    toleranceSeconds: 300,
    bodyLimitBytes: LIMIT,
    metrics: {
      metrics: recordingMetrics(metrics),
      render: async () => ({ contentType: '', body: '' }),
    },
  };
  const lane = createServer(createRequestListener(deps, { hostname: '127.0.0.1' }));
  await new Promise<void>((resolve) => lane.listen(0, '127.0.0.1', resolve));
  const app = serve({ fetch: createApp(deps).fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => app.once('listening', resolve));
  const port = (s: Server): number => (s.address() as AddressInfo).port;
  return {
    lane: port(lane),
    app: port(app),
    logs,
    metrics,
    close: async () => {
      for (const s of [lane, app]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
      await audit.close();
    },
  };
}

/** Sends `parts` (written one after the other) and resolves with every byte until the server closes. */
function exchange(port: number, parts: readonly (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got).toString('utf8')));
    // Not half-closed: a server that reads the end of the stream may drop a request still
    // being decided. Every exchange ends with a `Connection: close` request instead.
    for (const p of parts) socket.write(p);
  });
}

interface Send {
  readonly as?: NewCredentials;
  readonly target?: string;
  readonly body?: string;
  /** Header lines added after signing (a repeated or changed header). */
  readonly extra?: readonly string[];
  readonly drop?: readonly string[];
  readonly timestamp?: number;
  readonly nonce?: string;
  readonly contentType?: string;
  readonly keepAlive?: boolean;
}

const BUILD = JSON.stringify({ action: 'build', target: 'acme/web', steps: [] });

/** A signed request as text (a fresh nonce unless given), `Connection: close` unless kept alive. */
function signed(clock: TestClock, o: Send = {}): string {
  const who = o.as ?? CI;
  const target = o.target ?? '/v1/events';
  const body = o.body ?? BUILD;
  const headers = signRequest({
    apiKey: who.apiKey,
    secret: who.signingSecret,
    method: 'POST',
    target,
    body,
    timestamp: o.timestamp ?? Math.floor(clock.ms / 1000),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
  });
  const lines = [
    `POST ${target} HTTP/1.1`,
    'Host: gateway.test',
    `Connection: ${o.keepAlive === true ? 'keep-alive' : 'close'}`,
    'X-Request-Id: lane-test-0001',
    `Content-Type: ${o.contentType ?? 'application/json'}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers)
      .filter(([k]) => !(o.drop ?? []).includes(k))
      .map(([k, v]) => `${k}: ${v}`),
    ...(o.extra ?? []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The header lines of a signed request without Content-Length, for a body framed otherwise. */
function unframedHead(clock: TestClock): string {
  return signed(clock)
    .split('\r\n\r\n')[0]!
    .replace(/Content-Length: \d+\r\n/, '');
}

/** Values the gateway mints per request (ids, receipts, deploy messages) masked by type. */
const MINTED = new Set(['id', 'audit', 'expiresAt', 'message']);

function maskJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskJson);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, MINTED.has(k) ? `<${typeof x}>` : maskJson(x)]),
  );
}

/** Every answer in `raw`, Date masked, Content-Length checked against its body then masked. */
function maskAnswers(raw: string): unknown[] {
  const answers: unknown[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    expect(headEnd).toBeGreaterThan(0);
    const head = rest.slice(0, headEnd).split('\r\n');
    const length = Number(/^content-length: (\d+)$/im.exec(rest.slice(0, headEnd))?.[1] ?? 0);
    const bodyBytes = Buffer.from(rest.slice(headEnd + 4), 'utf8').subarray(0, length);
    const body = bodyBytes.toString('utf8');
    rest = rest.slice(headEnd + 4 + body.length);
    answers.push({
      head: head.map((l) =>
        /^date: /i.test(l) ? 'Date: -' : /^content-length: /i.test(l) ? 'Content-Length: -' : l,
      ),
      body: body.startsWith('{') ? maskJson(JSON.parse(body)) : body,
    });
  }
  return answers;
}

/** The log lines written since `from`, time, duration and stacks masked. */
function linesSince(logs: readonly string[], from: number): unknown[] {
  return logs
    .slice(from)
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const { time: _time, ms: _ms, ...rest } = JSON.parse(l) as Record<string, unknown>;
      // An error's stack names the code that called the failing store: the lane or Hono.
      const err = rest['err'] as Record<string, unknown> | undefined;
      return err === undefined ? rest : { ...rest, err: { ...err, stack: '-' } };
    });
}

interface Outcome {
  readonly answers: unknown[];
  readonly logs: unknown[];
  readonly metrics: unknown[][];
}

async function outcome(
  pair: Pair,
  port: number,
  parts: () => (string | Buffer)[],
): Promise<Outcome> {
  const logFrom = pair.logs.length;
  const metricsFrom = pair.metrics.length;
  const raw = await exchange(port, parts());
  // The lane and the app log the access line before the answer's last byte leaves.
  return {
    answers: maskAnswers(raw),
    logs: linesSince(pair.logs, logFrom),
    metrics: pair.metrics.slice(metricsFrom),
  };
}

/** Sends a fresh request built by `parts` to each server and expects the same outcome. */
async function expectSame(pair: Pair, parts: () => (string | Buffer)[]): Promise<Outcome> {
  const viaLane = await outcome(pair, pair.lane, parts);
  const viaApp = await outcome(pair, pair.app, parts);
  expect(viaLane).toEqual(viaApp);
  return viaLane;
}

const status = (o: Outcome, i = 0): string => (o.answers[i] as { head: string[] }).head[0]!;

describe('the Node lane of POST /v1/events answers, logs and counts as the Hono app does', () => {
  const clock = new TestClock();
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(clock);
  });
  afterAll(() => pair.close());

  const cases: [string, string, () => (string | Buffer)[]][] = [
    ['allow with its receipt', '200', () => [signed(clock)]],
    [
      'a query string (the signature covers it)',
      '200',
      () => [signed(clock, { target: '/v1/events?run=7' })],
    ],
    [
      'deny by the policy (403, audited)',
      '403',
      () => [
        signed(clock, {
          body: JSON.stringify({
            action: 'build',
            target: 'a',
            steps: [{ name: 's', run: 'rm -rf /' }],
          }),
        }),
      ],
    ],
    [
      'pending deploy (202)',
      '202',
      () => [
        signed(clock, {
          body: JSON.stringify({
            action: 'deploy',
            target: 'acme/web',
            steps: [],
            deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
          }),
        }),
      ],
    ],
    [
      'unknown API key',
      '401',
      () => [signed(clock, { extra: [] }).replace(CI.apiKey, `cgk_${'0'.repeat(64)}`)],
    ],
    ['API key on two lines', '401', () => [signed(clock, { extra: [`x-api-key: ${CI.apiKey}`] })]],
    ['a client without events:write', '403', () => [signed(clock, { as: READER })]],
    ['no signature header', '401', () => [signed(clock, { drop: ['x-codex-sig'] })]],
    [
      'timestamp out of the window',
      '401',
      () => [signed(clock, { timestamp: Math.floor(clock.ms / 1000) - 3600 })],
    ],
    [
      'a wrong signature',
      '401',
      () => [signed(clock).replace(/x-codex-sig: v1=[0-9a-f]{4}/, 'x-codex-sig: v1=0000')],
    ],
    ['not JSON', '415', () => [signed(clock, { contentType: 'text/plain' })]],
    ['a body that is not JSON', '400', () => [signed(clock, { body: '{"action":' })]],
    [
      'a duplicate key',
      '400',
      () => [
        signed(clock, { body: '{"action":"build","action":"deploy","target":"a","steps":[]}' }),
      ],
    ],
    [
      'a declared body over the limit, then the next request on the connection',
      '413',
      () => {
        const big = 'x'.repeat(LIMIT + 1);
        return [signed(clock, { body: big, keepAlive: true }), signed(clock)];
      },
    ],
    [
      'a chunked body over the limit',
      '413',
      () => {
        const chunk = 'y'.repeat(LIMIT + 100);
        return [
          `${unframedHead(clock)}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
        ];
      },
    ],
    [
      'a transfer coding other than chunked',
      '400',
      () => [
        `${unframedHead(clock)}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      ],
    ],
    [
      'a path the lane does not take (trailing slash)',
      '404',
      () => [signed(clock, { target: '/v1/events/' })],
    ],
    [
      'a path the lane does not take (percent-encoded)',
      '200',
      () => [signed(clock, { target: '/v1/%65vents' })],
    ],
  ];

  for (const [name, code, parts] of cases)
    it(`${name}: ${code}`, async () => {
      const o = await expectSame(pair, parts);
      expect(status(o)).toContain(` ${code} `);
    });

  it('a replayed nonce: 409 on the second sending', async () => {
    // The two servers share one nonce store: a nonce admitted once is replayed on both.
    const nonce = 'lane-replay-nonce-000000';
    await exchange(pair.lane, [signed(clock, { nonce })]);
    const o = await expectSame(pair, () => [signed(clock, { nonce })]);
    expect(status(o)).toContain(' 409 ');
  });

  it('rate limited: 429 with Retry-After', async () => {
    await exchange(pair.lane, [signed(clock, { as: LIMITED })]);
    const o = await expectSame(pair, () => [signed(clock, { as: LIMITED })]);
    expect(status(o)).toContain(' 429 ');
    expect(
      (o.answers[0] as { head: string[] }).head.some((l) => /^retry-after: \d+$/i.test(l)),
    ).toBe(true);
  });
});

describe('a store that cannot answer', () => {
  it('gives the same 503, error line and counts on both', async () => {
    const clock = new TestClock();
    const down: AdmissionStore = {
      admit: () => Promise.reject(new Error('store down')),
    } as unknown as AdmissionStore;
    const pair = await startPair(clock, down);
    try {
      const o = await expectSame(pair, () => [signed(clock)]);
      expect(status(o)).toContain(' 503 ');
      expect(o.logs).toContainEqual(
        expect.objectContaining({ msg: 'request failed', code: 'unavailable' }),
      );
    } finally {
      await pair.close();
    }
  });
});

describe('a refused body the client keeps sending', () => {
  it('is dropped for at most half a second, then the connection is closed, on both', async () => {
    const clock = new TestClock();
    const pair = await startPair(clock);
    try {
      for (const port of [pair.lane, pair.app]) {
        const head = signed(clock, { keepAlive: true })
          .split('\r\n\r\n')[0]!
          .replace(/Content-Length: \d+/, 'Content-Length: 10000000');
        const socket = connect({ port, host: '127.0.0.1' });
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
        const closed = new Promise<number>((resolve) =>
          socket.on('close', () => resolve(Date.now())),
        );
        socket.on('error', () => {});
        socket.write(`${head}\r\n\r\n`);
        const started = Date.now();
        // Trickle the body on: an unbounded drain would keep reading it.
        const trickle = setInterval(() => socket.writable && socket.write('z'.repeat(1024)), 20);
        const at = await closed;
        clearInterval(trickle);
        expect(answer).toMatch(/^HTTP\/1\.1 413 /);
        expect(at - started).toBeLessThan(3000);
      }
    } finally {
      await pair.close();
    }
  });
});
