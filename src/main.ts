#!/usr/bin/env node
/**
 * Composition root: read the environment once, build the adapters, create the app,
 * listen, and drain on SIGTERM/SIGINT. `serve` is also what `codex-gateway serve` runs.
 */
import { createServer } from 'node:http';
import { createRequestListener } from './app.js';
import { isEntryPoint } from './entry-point.js';
import { buildGateway } from './compose.js';
import { ConfigError, loadConfig } from './config/env.js';
import { createLogger } from './logger.js';

/**
 * Slow or stuck clients cannot pin sockets: every phase of a request has a deadline
 * (docs/operations.md explains each figure).
 */
export const SERVER_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  /** How often Node enforces the two timeouts above; its default (30 s) would let a slowloris hold a socket ~40 s. */
  connectionsCheckingIntervalMs: 1_000,
  /** A socket with no traffic in either direction (e.g. a client that stops reading the answer) is closed. */
  socketIdleTimeoutMs: 30_000,
  maxHeaderSize: 16 * 1024,
  maxConnections: 1024,
  drainTimeoutMs: 10_000,
} as const;

/** Starts the gateway from the environment; resolves once it listens. */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return fatal(err);
  }
  const logger = createLogger(config.logLevel);
  let gateway;
  try {
    gateway = await buildGateway(config, logger, (text) => process.stdout.write(text));
  } catch (err) {
    return fatal(err);
  }
  const http = createServer(
    {
      maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
      requestTimeout: SERVER_LIMITS.requestTimeoutMs,
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
      connectionsCheckingInterval: SERVER_LIMITS.connectionsCheckingIntervalMs,
    },
    createRequestListener(gateway.deps, { hostname: config.host }),
  );
  // Set on the instance too: not every Node 20 release reads all of these from options.
  http.headersTimeout = SERVER_LIMITS.headersTimeoutMs;
  http.requestTimeout = SERVER_LIMITS.requestTimeoutMs;
  http.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeoutMs;
  http.timeout = SERVER_LIMITS.socketIdleTimeoutMs;
  http.maxConnections = SERVER_LIMITS.maxConnections;
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('listening', resolve);
      http.once('error', reject);
      http.listen(config.port, config.host);
    });
  } catch (err) {
    await gateway.close();
    return fatal(
      new Error(
        `cannot listen on ${config.host}:${config.port}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      ),
    );
  }
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ host: config.host, port, mode: gateway.mode }, 'listening');
  // Log lines are gathered before they are written (logger.ts): start-up's go out now.
  logger.flush();
  // Deliveries owed before a crash or restart are sent from here on (docs/protocol.md §11).
  gateway.start();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => process.exit(1), SERVER_LIMITS.drainTimeoutMs);
    force.unref();
    http.close(() => {
      void gateway.close().finally(() => {
        // Log writes are asynchronous: exit only once the last lines reached stdout.
        logger.flush(() => process.exit(0));
      });
    });
    // Keep-alive sockets become idle as their last request finishes; close them as they do.
    http.closeIdleConnections();
    setInterval(() => http.closeIdleConnections(), 100).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => void gateway.onSighup());
}

/**
 * One clear line on stderr, never a stack or a secret; exit non-zero. pino writes the log
 * lines still gathered (logger.ts) synchronously on exit.
 */
function fatal(err: unknown): never {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`codex-gateway: ${message.split('\n')[0]}\n`);
  process.exit(1);
}

if (isEntryPoint(import.meta.url)) {
  void serve();
}
