import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { NewCredentials } from '../../src/config/dev-client.js';
import { signRequest } from '../../src/signing/index.js';
import {
  openPolicy,
  tempDir,
  testClient,
  writeClientsFile,
  writePolicyFile,
} from './credentials.js';
import { TYPESCRIPT_LOADER, repoRoot } from './paths.js';

/** A real gateway process started for a test. */
export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly dir: string;
  readonly client: NewCredentials;
  /** Every line the process wrote to stdout and stderr. */
  readonly output: string[];
  /** Sends a signed POST; `body` defaults to a small build event. */
  post(target: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** GET with the client's API key. */
  get(target: string): Promise<Response>;
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * The access line of the request with this `X-Request-Id`, parsed, once it is in `output`
   * (the log reaches stdout in batches, src/logger.ts); rejects after 10 s.
   */
  accessLine(requestId: string): Promise<Record<string, unknown>>;
  /**
   * Resolves once every line the gateway logged before the call is in `output`. The log is
   * written in order, so this sends one marker request and waits for its access line.
   */
  logged(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment; wins over the defaults. */
  readonly env?: Record<string, string>;
  /** The test client; defaults to a fresh `ci-main` with every scope. */
  readonly client?: NewCredentials;
  /** Policy object written to a temp file, unless env.GATEWAY_POLICY_FILE is given. */
  readonly policy?: unknown;
  /** Reuse a data directory (restart tests). */
  readonly dir?: string;
  /** How long to wait for "listening" (default 20 s; tsx start-up is slow on a loaded machine). */
  readonly startTimeoutMs?: number;
  /** Extra Node.js options placed before the entry point (e.g. a preloaded probe). */
  readonly nodeArgs?: readonly string[];
}

/** A small valid event. */
export const buildEvent = {
  action: 'build',
  target: 'acme/web',
  steps: [{ name: 'lint', run: 'npm run lint' }],
};

/**
 * Starts `src/main.ts` in a child process (through tsx, so no build is needed) on a free
 * port, with its own clients file, policy file and data directory, and resolves once it
 * logs that it listens.
 */
export async function startGateway(options: StartOptions = {}): Promise<GatewayProcess> {
  const dir = options.dir ?? tempDir('codex-gw-');
  const client = options.client ?? testClient();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    GATEWAY_DATA_DIR: path.join(dir, 'data'),
    GATEWAY_CLIENTS_FILE: writeClientsFile(dir, [client]),
    GATEWAY_LOG_ORIGIN: 'test.codex-gateway.local/log',
    ...(options.env?.GATEWAY_POLICY_FILE === undefined
      ? { GATEWAY_POLICY_FILE: writePolicyFile(dir, options.policy ?? openPolicy([client.id])) }
      : {}),
    ...options.env,
  };
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...TYPESCRIPT_LOADER, path.join(repoRoot, 'src/main.ts')],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start:\n${output.join('\n')}`)),
      options.startTimeoutMs ?? 20_000,
    );
    const onLine = (line: string): void => {
      output.push(line);
      const m = /"port":(\d+).*"msg":"listening"/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output.join('\n')}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const accessLine = async (requestId: string): Promise<Record<string, unknown>> => {
    const wanted = (l: string): boolean =>
      l.includes(`"reqId":"${requestId}"`) && l.includes('"msg":"request"');
    for (const end = Date.now() + 10_000; Date.now() < end;) {
      const line = output.find(wanted);
      if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access line for request ${requestId}`);
  };
  return {
    url,
    port,
    child,
    dir,
    client,
    output,
    post: (target, body = buildEvent, headers = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const signed = signRequest({
        apiKey: client.apiKey,
        secret: client.signingSecret,
        method: 'POST',
        target,
        body: text,
      });
      return fetch(url + target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed, ...headers },
        body: text,
      });
    },
    get: (target) => fetch(url + target, { headers: { 'x-api-key': client.apiKey } }),
    accessLine,
    logged: async () => {
      const marker = `logged-${randomBytes(8).toString('hex')}`;
      await fetch(`${url}/healthz`, { headers: { 'x-request-id': marker } });
      await accessLine(marker);
    },
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
