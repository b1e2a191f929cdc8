import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log object. The request
 * logger never logs headers or bodies in the first place; this is the second line of
 * defence should a header map or a credentials object ever be logged by mistake.
 */
export const REDACT_PATHS = [
  'apiKey',
  'signingSecret',
  'signingSecrets',
  'secret',
  'headers["x-api-key"]',
  'headers["x-codex-sig"]',
  '*.apiKey',
  '*.signingSecret',
  '*.signingSecrets',
  '*.secret',
  '*.headers["x-api-key"]',
  '*.headers["x-codex-sig"]',
  'req.headers["x-api-key"]',
  'req.headers["x-codex-sig"]',
  'req.headers.authorization',
];

/**
 * How lines reach stdout: asynchronously, gathered until 4 KiB are pending or 100 ms have
 * passed, so one write carries many lines instead of one hand-off to libuv's thread pool per
 * event-loop turn (bench/README.md, issue 19). What is gathered is written on a graceful stop
 * (main.ts) and synchronously by pino on any exit, a refused start included; a process killed
 * outright (SIGKILL, OOM) can lose its last 100 ms of lines. The audit log does not depend on
 * them. test/http/log-buffering.e2e.test.ts covers the timer, a graceful stop and a refused
 * start.
 *
 * Lines are gathered as bytes (`contentMode: 'buffer'`, each line encoded once as it
 * arrives): in its default string mode sonic-boom appends each line to one pending string
 * and measures that whole string's UTF-8 length again on every line, copying a string of
 * up to 16 KiB per line while a write is in flight (about 1 µs and 3 KB of garbage per
 * line, bench/README.md).
 */
export const STDOUT_BUFFERING = {
  dest: 1,
  sync: false,
  minLength: 4096,
  periodicFlush: 100,
  contentMode: 'buffer',
} as const;

/** The gateway's JSON logger. `destination` lets tests capture every line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'codex-gateway' },
  };
  return pino(options, destination ?? stdoutLines());
}

/** pino's lines to stdout as bytes (STDOUT_BUFFERING); pino flushes that stream on exit. */
function stdoutLines(): DestinationStream {
  const out = pino.destination(STDOUT_BUFFERING);
  return {
    write: (line: string) => out.write(Buffer.from(line, 'utf8') as unknown as string),
    flush: (cb?: (err?: Error) => void) => out.flush(cb),
    flushSync: () => out.flushSync(),
  } as DestinationStream;
}
