import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import type { GatewayEnv } from './env.js';
import { headerLineCount, nodeHeader, nodeRequest } from './incoming.js';
import { payloadTooLarge, readNodeBody } from './node-body.js';

/** What the signed-request path needs from HTTP, independent of how the request arrived. */
export interface RawRequest {
  readonly method: string;
  /** Path and query exactly as on the request line (what the signature covers). */
  readonly target: string;
  /** A header value, or undefined. Repeated headers arrive joined with ", ". */
  header(name: string): string | undefined;
  /**
   * True when header `name` (lower case) came on more than one header line (docs/protocol.md §16).
   * Only a request read from the Node socket can tell; under `app.request()` the WHATWG
   * Headers have already merged the lines, so it answers false there.
   */
  repeated(name: string): boolean;
  /** The raw body bytes, read with the size limit enforced while reading. */
  readonly body: Buffer;
}

/**
 * Reads the request, enforcing `limitBytes` while the body streams in (chunked bodies
 * without Content-Length included): once the limit is passed it stops reading and throws
 * 413 `payload_too_large` before any other work is done.
 */
export async function readRawRequest(
  c: Context<GatewayEnv>,
  limitBytes: number,
): Promise<RawRequest> {
  const node = nodeRequest(c);
  if (node !== undefined) return readNodeRequest(node, limitBytes);
  return readFromFetch(c.req.raw, limitBytes);
}

function declaredTooLarge(contentLength: string | null | undefined, limitBytes: number): boolean {
  if (contentLength === undefined || contentLength === null) return false;
  const n = Number(contentLength);
  return Number.isFinite(n) && n > limitBytes;
}

/** The same, from a Node request. */
export async function readNodeRequest(
  req: IncomingMessage,
  limitBytes: number,
): Promise<RawRequest> {
  if (declaredTooLarge(req.headers['content-length'], limitBytes)) throw payloadTooLarge();
  refuseTransferCodings(req.headers['transfer-encoding']);
  const body = await readNodeBody(req, limitBytes);
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    header: (name) => nodeHeader(req, name),
    repeated: (name) => headerLineCount(req.rawHeaders, name) > 1,
    body,
  };
}

async function readFromFetch(req: Request, limitBytes: number): Promise<RawRequest> {
  if (declaredTooLarge(req.headers.get('content-length'), limitBytes)) throw payloadTooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (req.body !== null) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limitBytes) {
        await reader.cancel();
        throw payloadTooLarge();
      }
      chunks.push(value);
    }
  }
  const url = new URL(req.url);
  return {
    method: req.method,
    target: url.pathname + url.search,
    header: (name) => req.headers.get(name) ?? undefined,
    repeated: () => false,
    body: Buffer.concat(chunks, total),
  };
}

/**
 * Refuses any Transfer-Encoding but a single `chunked` (issue 13): Node's parser removes
 * the chunked framing but would hand over `gzip, chunked` bytes still gzip-encoded, and
 * the gateway never decodes a body (it signs and judges the raw bytes). Repeated
 * Transfer-Encoding lines arrive joined with ", ", so they are refused here too.
 */
function refuseTransferCodings(te: string | undefined): void {
  if (te === undefined || te.trim().toLowerCase() === 'chunked') return;
  throw new GatewayError('invalid_body', {
    detail: 'Transfer-Encoding other than chunked is not supported',
  });
}
