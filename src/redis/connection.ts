import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { restoreFastStringPrototype } from './fast-string-prototype.js';

// Loading ioredis slows every string operation of the process until this runs (see there).
restoreFastStringPrototype();

/**
 * ioredis client factory for the shared-state adapters. The settings make an outage fail
 * fast instead of queueing: the gateway answers 503 `unavailable` while Redis is away and
 * recovers on its own when it comes back (ioredis keeps reconnecting).
 */
export interface RedisConnectionOptions {
  /** `redis://[user][:password@]host[:port][/db]` or `rediss://…` for TLS. */
  readonly url: string;
  /** A command without a reply after this many ms is rejected (default 250). */
  readonly commandTimeoutMs?: number;
  /** Give up on one TCP/TLS connect attempt after this many ms (default 2000). */
  readonly connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts, ms (default 2000). */
  readonly maxReconnectDelayMs?: number;
  /** Shown in `CLIENT LIST`. */
  readonly connectionName?: string;
  /** Receives connection errors (already free of the password); default: ignored. */
  readonly onError?: (error: Error) => void;
}

/** Where and how to connect, as parsed from the URL. */
export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** Present (empty: Node's verifying defaults) for `rediss://`. */
  tls?: Record<string, never>;
}

/**
 * Parses and checks a Redis URL without contacting the server. Throws a TypeError naming
 * the problem (never echoing the URL, which may hold a password).
 */
export function redisOptionsFromUrl(url: string): RedisEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('REDIS_URL is not a valid URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError('REDIS_URL must start with redis:// or rediss://');
  }
  if (parsed.hostname === '') throw new TypeError('REDIS_URL has no host');
  // Query options would let the URL override the fail-fast settings below: refuse them.
  if (parsed.search !== '') throw new TypeError('REDIS_URL must not carry query options');
  const options: RedisEndpoint = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
  };
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^[0-9]{1,2}$/.test(db)) throw new TypeError('REDIS_URL database must be a number');
    options.db = Number(db);
  }
  // rediss:// verifies the server certificate (host name, system CAs): Node's defaults.
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** Creates a client that connects at once and reconnects forever with capped backoff. */
export function createRedisClient(options: RedisConnectionOptions): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const client = new Redis({
    ...redisOptionsFromUrl(options.url),
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    // No offline queue and no resend after a reconnect: a command either runs now or
    // fails now. Resending a script whose reply was lost could claim a nonce twice and
    // turn the client's own first request into a false `replayed_nonce`.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  });
  // Without a listener ioredis prints every failed reconnect to the console.
  client.on('error', (error: Error) => options.onError?.(error));
  // Every new connection (reconnects included) gets its commands coalesced.
  client.on('connect', () => coalesceWrites(client.stream));
  return client;
}

/**
 * Resolves true once `client` is ready, false after `timeoutMs` (it keeps reconnecting in
 * the background either way). Commands fail until then, since there is no offline queue.
 */
export function waitForRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** True when `client` is connected and answers PING (bounded by its command timeout). */
export async function isRedisReady(client: Redis): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}

/** Closes `client`; safe to call more than once and while Redis is unreachable. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    if (client.status === 'ready') {
      await client.quit();
      return;
    }
  } catch {
    // fall through to a hard disconnect
  }
  client.disconnect(false);
}

/**
 * Commands written during one turn of the event loop leave in one `writev`: the socket is
 * corked at its first write and uncorked from `setImmediate`, once the poll phase that
 * handled the requests is over. Without it every request's admission command was its own
 * write syscall, about 15% of the main thread in a Redis-mode profile at 64 connections;
 * with it the same-run A/B measured 20-32% less CPU per request (bench/README.md). A
 * command waits at most for the rest of the current loop turn.
 */
function coalesceWrites(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write.apply(this, args);
  } as Socket['write'];
}
