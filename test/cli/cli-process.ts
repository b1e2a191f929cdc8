import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { tempDir } from '../helpers/credentials.js';
import { repoRoot } from '../helpers/paths.js';

/** A finished run of the real CLI in its own process. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
  /** Peak resident set size of the CLI process (getrusage maxrss), in MiB. */
  readonly peakRssMiB: number;
}

/** A CLI process started by {@link startCli}. */
export interface StartedCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
}

/**
 * Starts `src/cli/main.ts` (through tsx, like the gateway process tests) with `args`, a
 * minimal environment plus `env`, and a preload that reports the peak RSS at exit. The
 * process is killed after `killAfterMs` (a test failure, not a feature).
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  killAfterMs = 60_000,
): StartedCli {
  const rssFile = path.join(tempDir('codex-cli-rss-'), 'rss');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(path.join(repoRoot, 'test/cli/report-rss.mjs')).href,
      '--import',
      'tsx',
      path.join(repoRoot, 'src/cli/main.ts'),
      ...args,
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TMPDIR: process.env.TMPDIR ?? '/tmp',
        RSS_REPORT_FILE: rssFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const kib = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : NaN;
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        peakRssMiB: kib / 1024,
      });
    });
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** C0 controls except newline, DEL, C1 controls, and the bidi/line-separator characters. */
/* eslint-disable no-control-regex -- the characters that must never be printed */
const UNPRINTABLE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/* eslint-enable no-control-regex */

/** Asserts that the run printed no control character anywhere (stdout and stderr). */
export function expectNoControlCharacters(run: CliRun): void {
  expect(run.stdout).not.toMatch(UNPRINTABLE);
  expect(run.stderr).not.toMatch(UNPRINTABLE);
}

/** Asserts the run failed with exactly one stderr line starting with `prefix`. */
export function expectOneFailedLine(run: CliRun, prefix: string): string {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  return lines[0]!;
}

/** A request a hostile or bystander server received. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A loopback HTTP server for a test; records what it was sent. */
export interface TestServer {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a loopback server. `handler` runs once the request body is in; the request is
 * recorded first, so `seen` lists everything that ever arrived.
 */
export async function startServer(
  handler: (req: SeenRequest, res: ServerResponse) => void,
): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * Streams `totalBytes` of `fill` as a chunked answer (no Content-Length), honouring
 * back-pressure, until done or the client goes away. Resolves to the bytes written.
 */
export function streamChunked(
  res: ServerResponse,
  totalBytes: number,
  fill = 0x61,
): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  return new Promise((resolve) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => resolve(sent));
    const pump = (): void => {
      while (!res.destroyed && sent < totalBytes) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
}

/** Writes one byte every `everyMs` until the client goes away. */
export function dripFeed(res: ServerResponse, everyMs: number): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), everyMs);
  res.on('close', () => clearInterval(timer));
}
