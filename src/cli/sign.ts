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
credentials come from CODEX_API_KEY and CODEX_SIGNING_SECRET (or --api-key, --secret-file)`;

/**
 * `codex-gateway sign`: prints the four codex-sig/v1 headers for a request, or with `--url`
 * sends it and prints the answer (exit 0 on 2xx, 1 otherwise), so a CI job needs one line.
 */
export async function signCommand(args: readonly string[], io: CliIo): Promise<number> {
  const opts = parseOptions(args, {
    values: ['method', 'path', 'data', 'data-file', 'url', 'api-key', 'secret-file'],
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
  io.out(`${res.status} ${escapeControls(text)}\n`);
  return res.status >= 200 && res.status < 300 ? 0 : 1;
}
