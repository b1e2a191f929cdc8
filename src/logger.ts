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

/** The gateway's JSON logger. `destination` lets tests capture every line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'codex-gateway' },
  };
  // Asynchronous writes to stdout: lines logged while a write is in flight are coalesced
  // into the next one, instead of one blocking write per request. main.ts flushes before
  // exit, so a graceful stop loses nothing.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
