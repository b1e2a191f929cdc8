import { readFileSync } from 'node:fs';
import type { BoundedResponse } from '../client/http.js';
import { escapeControls } from '../client/untrusted-text.js';
import { signRequest } from '../signing/index.js';
import { usageError, type CliCommand } from './command.js';
import type { CliIo } from './io.js';
import { failureReason } from './render.js';
import { callServer } from './server-call.js';

/** Largest answer printed by `sign --url`; the gateway's answers are a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * `codex-gateway sign`: prints the four codex-sig/v1 headers for a request, or with `--url`
 * sends it and prints the answer (exit 0 on 2xx, 1 otherwise), so a CI job needs one line.
 */
export const command: CliCommand = {
  name: 'sign',
  summary: 'Print the codex-sig/v1 headers for a request, or send it signed with --url.',
  options: {
    path: {
      type: 'string',
      value: 'PATH',
      description: 'request target to sign (required), e.g. /v1/events',
    },
    method: { type: 'string', value: 'METHOD', description: 'HTTP method [POST]' },
    data: { type: 'string', value: 'JSON', description: 'request body as text' },
    'data-file': { type: 'string', value: 'FILE', description: 'read the request body from FILE' },
    url: {
      type: 'string',
      value: 'URL',
      description: 'send the request to this gateway and print the answer',
    },
    'api-key': { type: 'string', value: 'KEY', description: 'API key [$CODEX_API_KEY]' },
    'secret-file': {
      type: 'string',
      value: 'FILE',
      description: 'read the signing secret from FILE [$CODEX_SIGNING_SECRET]',
    },
    json: { type: 'boolean', description: 'with --url: print only the JSON body (for jq)' },
  },
  notes: 'with --url: exit 0 on a 2xx answer, 1 otherwise; without: prints the four headers',
  run: async (args, io) => {
    const path = args.string('path');
    if (path === undefined) return usageError(io, command, 'missing --path PATH');
    if (args.string('data') !== undefined && args.string('data-file') !== undefined)
      return usageError(io, command, 'give --data or --data-file, not both');
    const apiKey = args.string('api-key') ?? process.env.CODEX_API_KEY;
    if (apiKey === undefined)
      return usageError(io, command, 'no API key: set CODEX_API_KEY or pass --api-key');
    const secretFile = args.string('secret-file');
    const secret =
      secretFile !== undefined
        ? readFileSync(secretFile, 'utf8').trim()
        : process.env.CODEX_SIGNING_SECRET;
    if (secret === undefined)
      return usageError(
        io,
        command,
        'no signing secret: set CODEX_SIGNING_SECRET or pass --secret-file',
      );
    const dataFile = args.string('data-file');
    const body =
      dataFile !== undefined
        ? readFileSync(dataFile)
        : Buffer.from(args.string('data') ?? '', 'utf8');
    const method = (args.string('method') ?? 'POST').toUpperCase();
    if (!/^[A-Z]{1,16}$/.test(method))
      return usageError(io, command, '--method must be an HTTP method name');
    return sign(
      { path, apiKey, secret, body, method, url: args.string('url'), json: args.flag('json') },
      io,
    );
  },
};

async function sign(
  r: {
    path: string;
    apiKey: string;
    secret: string;
    body: Buffer;
    method: string;
    url: string | undefined;
    json: boolean;
  },
  io: CliIo,
): Promise<number> {
  const { path, apiKey, secret, body, method } = r;
  const headers = signRequest({ apiKey, secret, method, target: path, body });
  const url = r.url;
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
  if (r.json) return printJsonBody(io, res.status, text, ok);
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
