import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';

/**
 * Redis for integration tests.
 *
 * - `sharedRedis(label)` probes the shared server (REDIS_URL or 127.0.0.1:6379) and hands the
 *   test file a unique key prefix; `cleanup()` deletes only keys under that prefix (SCAN +
 *   UNLINK — never FLUSHDB/KEYS: other sessions use the same server).
 * - `describeWithRedis(env, name, body)` runs `body` when Redis answers. When it does not:
 *   with REQUIRE_REDIS=1 or CI=true the file FAILS; otherwise it is skipped with a notice.
 * - `startPrivateRedis()` starts a throw-away `redis-server` on a free port for outage tests.
 */

export const SHARED_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** True when a missing Redis must fail the run rather than skip (CI, or asked for). */
export const REDIS_REQUIRED = process.env['REQUIRE_REDIS'] === '1' || process.env['CI'] === 'true';

export interface SharedRedis {
  readonly available: boolean;
  readonly url: string;
  /** Unique to this test file, e.g. `test:admission:4f1c…:`; pass it as the store prefix. */
  readonly prefix: string;
  /** A new client (the caller closes it, or `cleanup` does). */
  client(): Redis;
  /** Deletes every key under `prefix` and closes clients made by `client()`. */
  cleanup(): Promise<void>;
}

/** Probes the shared Redis once and prepares a unique prefix for the calling test file. */
export async function sharedRedis(label: string): Promise<SharedRedis> {
  const url = SHARED_REDIS_URL;
  const prefix = `test:${label.replace(/[^a-z0-9-]/gi, '-')}:${randomBytes(6).toString('hex')}:`;
  const available = await probe(url);
  const clients: Redis[] = [];
  return {
    available,
    url,
    prefix,
    client: () => {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    cleanup: async () => {
      if (available) await deleteKeys(url, prefix);
      await Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** `describe` that needs Redis: runs, fails (CI) or skips with a visible notice. */
export function describeWithRedis(env: SharedRedis, name: string, body: () => void): void {
  if (env.available) {
    describe(name, () => {
      afterAll(() => env.cleanup());
      body();
    });
  } else if (REDIS_REQUIRED) {
    describe(name, () => {
      it('needs a reachable Redis (REQUIRE_REDIS=1 or CI=true)', () => {
        throw new Error(`Redis is not reachable at ${redactUrl(env.url)}`);
      });
    });
  } else {
    console.warn(
      `\n[redis] NOTICE: skipping "${name}": no Redis at ${redactUrl(env.url)} ` +
        '(start redis-server, or set REDIS_URL; REQUIRE_REDIS=1 makes this a failure)\n',
    );
    describe.skip(name, body);
  }
}

async function probe(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Deletes the keys under `prefix` only (prefix is [A-Za-z0-9:-], so no glob escapes). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`, or `rediss://[:password@]localhost:<port>` with TLS/password. */
  readonly url: string;
  readonly port: number;
  /** PEM file of the self-signed certificate (TLS only): trust it via NODE_EXTRA_CA_CERTS. */
  readonly caFile: string | undefined;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence) and waits until it answers. */
  restart(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** `requirepass`; the URL then carries it as `:password@`. */
  readonly password?: string;
  /** Serve TLS only, with a fresh self-signed certificate for `localhost` (needs openssl). */
  readonly tls?: boolean;
  /** More `redis-server` arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  readonly extraArgs?: readonly string[];
}

/** Starts a private `redis-server` on a free port: no RDB, no AOF. Stop it in afterAll. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const tlsDir = options.tls === true ? makeCertificate() : undefined;
  const url =
    tlsDir === undefined ? `redis://${auth}127.0.0.1:${port}` : `rediss://${auth}localhost:${port}`;
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (tlsDir === undefined) args.push('--port', String(port));
  else
    args.push(
      ...['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no'],
      ...['--tls-cert-file', join(tlsDir, 'cert.pem'), '--tls-key-file', join(tlsDir, 'key.pem')],
    );
  if (options.password !== undefined) args.push('--requirepass', options.password);
  args.push(...(options.extraArgs ?? []));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitUntil(() => portOpen(port), 5000, `private redis-server on ${port} did not start`);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined && running.exitCode === null) {
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGKILL');
      await exited;
    }
  };
  await start();
  return {
    url,
    port,
    caFile: tlsDir === undefined ? undefined : join(tlsDir, 'cert.pem'),
    stop: async () => {
      await stop();
    },
    restart: start,
  };
}

/** A self-signed P-256 certificate for localhost/127.0.0.1 in a new temp directory. */
function makeCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'codex-redis-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
      ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  return dir;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, message: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(message);
}
