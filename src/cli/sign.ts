import { readFileSync } from 'node:fs';
import type { BoundedResponse } from '../client/http.js';
import { escapeControls } from '../client/untrusted-text.js';
import { signRequest } from '../signing/index.js';
import { parseOptions, type CliIo } from './io.js';
import { failureReason } from './render.js';
import { callServer } from './server-call.js';

/** Largest answer printed by `sign --url`; the gateway's answers are a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

const USAGE = `usage: codex-gateway sign [--method POST] --path /v1/events (--data JSON | --data-file FILE)
       [--url http://127.0.0.1:8787]   send the request instead of printing headers
       [--json]                        with --url: print only the JSON body (for jq)
credentials come from CODEX_API_KEY and CODEX_SIGNING_SECRET (or --api-key, --secret-file)`;

/**
 * `codex-gateway sign`: prints the four codex-sig/v1 headers for a request, or with `--url`
 * sends it and prints the answer (exit 0 on 2xx, 1 otherwise), so a CI job needs one line.
 */
export async function signCommand(args: readonly string[], io: CliIo): Promise<number> {
  const opts = parseOptions(args, {
    values: ['method', 'path', 'data', 'data-file', 'url', 'api-key', 'secret-file'],
    flags: ['json'],
  });
  const one = (name: string): string | undefined => opts.values.get(name)?.[0];
  const path = one('path');
  const apiKey = one('api-key') ?? process.env.CODEX_API_KEY;
  const secretFile = one('secret-file');
  const secret =
    secretFile !== undefined
      ? readFileSync(secretFile, 'utf8').trim()
      : process.env.CODEX_SIGNING_SECRET;
  const dataFile = one('data-file');
  const body =
    dataFile !== undefined ? readFileSync(dataFile) : Buffer.from(one('data') ?? '', 'utf8');
  if (path === undefined || apiKey === undefined || secret === undefined) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const method = (one('method') ?? 'POST').toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) {
    io.err(`codex-gateway sign: --method must be an HTTP method name\n`);
    return 2;
  }
  const headers = signRequest({ apiKey, secret, method, target: path, body });
  const url = one('url');
  if (url === undefined) {
    for (const [name, value] of Object.entries(headers)) io.out(`${name}: ${value}\n`);
    return 0;
  }
  let res: BoundedResponse;
  try {
    res = await callServer({
      base: url,
      target: path,
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
  } catch (err) {
    io.err(`codex-gateway sign: FAILED: ${failureReason(err)}\n`);
    return 1;
  }
  // The answer is printed as it came (JSON stays byte-identical), control characters escaped.
  let text: string;
  try {
    text = res.text();
  } catch {
    text = '(answer is not UTF-8)';
  }
  const ok = res.status >= 200 && res.status < 300;
  if (opts.flags.has('json')) return printJsonBody(io, res.status, text, ok);
  io.out(`${res.status} ${escapeControls(text)}\n`);
  return ok ? 0 : 1;
}

/**
 * `--json`: the answer body alone on stdout, re-serialised (so it is one line of valid JSON
 * whatever the server sent; a problem+json refusal is printed too, with exit 1). A body
 * that is not JSON is reported on stderr instead.
 */
function printJsonBody(io: CliIo, status: number, text: string, ok: boolean): number {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    io.err(`codex-gateway sign: the answer (${status}) is not JSON\n`);
    return 1;
  }
  io.out(`${JSON.stringify(value)}\n`);
  return ok ? 0 : 1;
}
