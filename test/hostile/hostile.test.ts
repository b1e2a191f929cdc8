import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPolicy, testClient } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { hostileCase, render, type HostileCase } from './cases.js';
import { residentBytes } from './proc.js';
import { rawExchange, type RawOutcome } from '../helpers/raw-http.js';

/**
 * Hostile-input suite (issue #8): fast-check generated requests through the real server
 * socket of a real gateway process. Seed: HOSTILE_SEED, else fixed when CI is set, else
 * random (printed, so any failure can be replayed with HOSTILE_SEED=<seed>).
 */
const FIXED_SEED = 20261121;
const SEED =
  process.env.HOSTILE_SEED !== undefined && process.env.HOSTILE_SEED !== ''
    ? Number(process.env.HOSTILE_SEED)
    : process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
      ? FIXED_SEED
      : Math.floor(Math.random() * 2 ** 31);
const CASES = Number(process.env.HOSTILE_CASES ?? 10_000);
const CONCURRENCY = 16;
/** Generous: other test files share these 2 cores, and a busy machine can stall a few seconds. */
const ANSWER_DEADLINE_MS = 15_000;
const MiB = 1024 * 1024;
/** Problem codes that are only given after docs/protocol.md §2 check 6 claimed the nonce. */
const AFTER_CHECK_6 = new Set([
  'invalid_body',
  'unsupported_media_type',
  'policy_denied',
  'replayed_nonce',
]);

interface Failure {
  readonly index: number;
  readonly problem: string;
  readonly kind: string;
  readonly outcome: RawOutcome;
}

function describeCase(c: HostileCase): string {
  if (c.type === 'signed')
    return `signed/${c.mutation.kind}${c.mutation.kind === 'flip' ? `:${c.mutation.field}` : ''}`;
  if (c.type === 'garbage') return `garbage/${c.method.slice(0, 10)} ${c.path.slice(0, 40)}`;
  if (c.type === 'semantic') return `semantic/${c.kind}`;
  return c.type;
}

async function auditSize(gw: GatewayProcess): Promise<number> {
  const res = await gw.get('/v1/audit/checkpoint');
  expect(res.status).toBe(200);
  return Number((await res.text()).split('\n')[1]);
}

/** A client that never finishes its headers: the server must drop it (headersTimeout). */
function slowloris(port: number): { closed: Promise<number>; socket: Socket } {
  const started = Date.now();
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.write('POST /v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
  const drip = setInterval(() => socket.write('a'), 500);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(drip);
      resolve(Date.now() - started);
    }),
  );
  return { closed, socket };
}

describe('hostile input through the real server socket', () => {
  let gw: GatewayProcess;

  beforeAll(async () => {
    const client = testClient();
    gw = await startGateway({
      client,
      policy: openPolicy([client.id], {
        deny: { patterns: [{ name: 'rm_root', regex: 'rm\\s+-rf\\s+/(\\s|$)' }], emoji: ['💣'] },
      }),
    });
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(gw.dir, { recursive: true, force: true });
  });

  it(`answers ${CASES} generated cases without a 5xx, a crash, an unsigned accept, an audit entry for a refusal or a memory leak`, async () => {
    console.log(`hostile: seed ${SEED}, ${CASES} cases (replay with HOSTILE_SEED=${SEED})`);
    const pid = gw.child.pid!;
    // Warm up (JIT, pools, audit files). The RSS baseline is taken half-way through the
    // cases: by then the heap has grown to hold the largest hostile bodies (256 KiB) and V8
    // keeps those pages, which is not a leak; a leak grows again over the second half.
    for (let i = 0; i < 200; i++) expect((await gw.post('/v1/events')).status).toBe(200);
    let rssBefore = 0;
    const sizeBefore = await auditSize(gw);
    const loris = slowloris(gw.port);

    const cases = fc.sample(hostileCase, { numRuns: CASES, seed: SEED });
    const failures: Failure[] = [];
    const tally = new Map<string, number>();
    let decisions = 0;
    let uncertain = 0; // validly signed requests whose answer we gave up waiting for
    let next = 0;
    const judge = (index: number, c: HostileCase, o: RawOutcome, problem: string | false): void => {
      if (problem === false) return;
      failures.push({ index, problem, kind: describeCase(c), outcome: o });
      if (failures.length <= 3)
        console.log(
          `hostile: case ${index} ${problem}: ${JSON.stringify(c).slice(0, 700)} outcome ${JSON.stringify(o)}`,
        );
    };
    const worker = async (): Promise<void> => {
      for (let i = next++; i < cases.length; i = next++) {
        if (i === Math.floor(cases.length / 2)) rssBefore = residentBytes(pid);
        const c = cases[i]!;
        const r = render(c, gw.client);
        const o = await rawExchange(gw.port, r.pieces, r.mayHang ? 500 : ANSWER_DEADLINE_MS);
        const key = `${c.type}:${o.status ?? (o.timedOut ? 'timeout' : 'closed')}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        const status = o.status ?? 0;
        if (r.validlySigned && o.timedOut) uncertain++;
        // 2xx on a read route (GET/HEAD) is not a decision; only POST answers are.
        const isDecision =
          ((status === 200 || status === 202) && !r.readOnly) ||
          (status === 403 && o.code === 'policy_denied');
        if ((c.type === 'signed' || c.type === 'semantic') && isDecision) decisions++;
        judge(i, c, o, status >= 500 && `answered ${status}`);
        judge(
          i,
          c,
          o,
          status >= 200 &&
            status < 300 &&
            !r.validlySigned &&
            !r.readOnly &&
            `accepted (${status}) without a valid signature`,
        );
        judge(
          i,
          c,
          o,
          isDecision &&
            !r.validlySigned &&
            'a decision (audited) for a request without a valid signature',
        );
        judge(i, c, o, o.timedOut && !r.mayHang && `no answer within ${ANSWER_DEADLINE_MS} ms`);
        judge(
          i,
          c,
          o,
          r.expectStatus !== undefined &&
            o.status !== undefined &&
            o.status !== r.expectStatus &&
            // A signed request may legitimately be rate limited or refused as a replay.
            o.status !== 429 &&
            `answered ${o.status} (${o.code ?? ''}), expected ${r.expectStatus}`,
        );
        if (r.replay) {
          const again = await rawExchange(gw.port, r.pieces, ANSWER_DEADLINE_MS);
          const s2 = again.status ?? 0;
          // Should the first copy not have reached the app, the second is legitimately
          // the first use of the nonce and becomes a decision.
          if (s2 === 200 || s2 === 202 || (s2 === 403 && again.code === 'policy_denied'))
            decisions++;
          if (again.timedOut) uncertain++;
          judge(i, c, again, s2 >= 500 && `replay answered ${s2}`);
          judge(
            i,
            c,
            again,
            status >= 200 && status < 300 && s2 !== 409 && `replay answered ${s2}, not 409`,
          );
          // Once the first copy got past the nonce check (an answer only given after
          // check 6), the second must never be accepted.
          const passedCheck6 = (status >= 200 && status < 300) || AFTER_CHECK_6.has(o.code ?? '');
          judge(
            i,
            c,
            again,
            passedCheck6 &&
              s2 >= 200 &&
              s2 < 300 &&
              `replay accepted after a first answer ${status} (${o.code ?? ''})`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`hostile: outcomes ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);

    expect(failures.slice(0, 10)).toEqual([]);
    expect(gw.child.exitCode).toBeNull();
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);

    // Only requests with a valid signature became decisions, and each is in the log.
    const grown = (await auditSize(gw)) - sizeBefore;
    expect(grown).toBeGreaterThanOrEqual(decisions);
    expect(grown).toBeLessThanOrEqual(decisions + uncertain);

    // No 5xx anywhere, including answers the client never read (aborted uploads).
    const metrics = await (await gw.get('/metrics')).text();
    const serverErrors = metrics
      .split('\n')
      .filter((l) => /^gateway_http_requests_total\{.*status="5\d\d"/.test(l));
    expect(serverErrors).toEqual([]);
    await gw.logged();
    expect(gw.output.filter((l) => /"level":(50|60)/.test(l)).slice(0, 5)).toEqual([]);

    // The slowloris is cut off by headersTimeout (10 s, checked every second). The check is
    // a timer on the same event loop that just served 10,000 cases, so on a loaded 2-core
    // machine it can run a few seconds late: the bound asserts the cut, not its latency.
    const lorisMs = await Promise.race([
      loris.closed,
      new Promise<number>((r) => setTimeout(() => r(-1), 30_000)),
    ]);
    loris.socket.destroy();
    expect(lorisMs).toBeGreaterThan(0);
    expect(lorisMs).toBeLessThan(25_000);

    await new Promise((r) => setTimeout(r, 500));
    const rssAfter = residentBytes(pid);
    console.log(
      `hostile: RSS half-way ${(rssBefore / MiB).toFixed(1)} MiB, after ${(rssAfter / MiB).toFixed(1)} MiB`,
    );
    expect(rssBefore).toBeGreaterThan(0);
    expect(rssAfter - rssBefore).toBeLessThan(50 * MiB);
  }, 240_000);
});
