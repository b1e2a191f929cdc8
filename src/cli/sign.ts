import { readFileSync } from 'node:fs';
import { signRequest } from '../signing/index.js';
import { parseOptions, type CliIo } from './io.js';

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
  const headers = signRequest({ apiKey, secret, method, target: path, body });
  const url = one('url');
  if (url === undefined) {
    for (const [name, value] of Object.entries(headers)) io.out(`${name}: ${value}\n`);
    return 0;
  }
  const res = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  io.out(`${res.status} ${await res.text()}\n`);
  return res.ok ? 0 : 1;
}
