/**
 * How CLI commands talk to a gateway: always through the bounded client of
 * `src/client/http.ts` (no redirects, capped headers and body, one deadline), with the
 * deadline the user may set in `CODEX_HTTP_DEADLINE` (seconds, 1–600, default 30).
 */
import { request, type BoundedRequest, type BoundedResponse } from '../client/http.js';

/** Environment variable holding the per-request deadline in seconds. */
export const DEADLINE_ENV = 'CODEX_HTTP_DEADLINE';
const DEFAULT_DEADLINE_SECONDS = 30;

/**
 * The per-request deadline in ms from `env`.
 * @throws Error when the variable is set but is not an integer 1–600.
 */
export function cliDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[DEADLINE_ENV];
  if (text === undefined || text === '') return DEFAULT_DEADLINE_SECONDS * 1000;
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 600)
    throw new Error(`${DEADLINE_ENV} must be a number of seconds from 1 to 600`);
  return Number(text) * 1000;
}

/** One bounded request with the CLI's deadline; rejects with HttpClientError (or Error for a bad deadline setting). */
export function callServer(req: Omit<BoundedRequest, 'deadlineMs'>): Promise<BoundedResponse> {
  return request({ ...req, deadlineMs: cliDeadlineMs() });
}
