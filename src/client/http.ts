/**
 * The one HTTP client every client tool uses to talk to a gateway (the `sign`, `approve` and
 * `audit` commands, and the client library). The server is NOT trusted: it may be
 * compromised, or be somebody else's server the user was pointed at. Whatever it sends,
 * {@link request} guarantees:
 *
 * - **No redirect is ever followed.** Any 3xx answer is a {@link HttpClientError} of kind
 *   `redirect`; nothing (API key, signature, body) is sent anywhere but the origin of `base`.
 * - **Only that origin is contacted**: `target` must be an origin-relative path (`/…`, not
 *   `//host/…`), and the URL built from it is checked to have `base`'s origin.
 * - **Bounded memory**: the response headers are capped by the HTTP parser
 *   (`maxHeaderBytes`), the body by counting bytes WHILE they stream in (`maxBodyBytes`) —
 *   a chunked answer without `Content-Length` is cut off at the cap, never buffered whole.
 *   No content coding is requested or decoded (so no decompression bomb): an answer with a
 *   `Content-Encoding` other than `identity` is refused.
 * - **Bounded time**: one deadline for the whole exchange (connect, headers, body), so a
 *   server that drips one byte at a time still ends the call at `deadlineMs`.
 * - **Bounded parsing**: `json()` refuses deep nesting and huge numbers of values before
 *   JSON.parse builds them (a 16 MiB `[{},{},…]` would otherwise be ~550 MB of objects).
 * - **One error type**: every failure — network, protocol, size, time, redirect — rejects
 *   with a {@link HttpClientError} whose message is one short line built by this module
 *   (server bytes are never copied into it except the escaped, truncated redirect
 *   location), never with a raw Node error.
 * - **No connection reuse** (`agent: false`): a call leaves no socket behind, so a command
 *   exits as soon as it is done.
 *
 * It does not interpret statuses other than 3xx: a 4xx/5xx answer resolves normally (with its
 * bounded body) for the caller to judge. TLS certificates are verified by Node's defaults
 * (`NODE_EXTRA_CA_CERTS` is honoured).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { JsonLimitError, parseBoundedJson, type JsonLimits } from './bounded-json.js';
import { escapeUntrusted } from './untrusted-text.js';

/** Default cap on the response body: 1 MiB. Callers that fetch bulk data raise it. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Default cap on the response status line and headers together: 16 KiB. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Default deadline for one whole exchange: 30 s. */
export const DEFAULT_DEADLINE_MS = 30_000;

/** What went wrong, for callers that react differently (tests, retry logic). */
export type HttpFailureKind =
  | 'bad_url' // base or target unusable (not http/https, credentials in it, other origin)
  | 'network' // could not connect, connection reset or closed early
  | 'protocol' // not valid HTTP/1.1, unsupported content coding
  | 'redirect' // a 3xx answer, never followed
  | 'headers_too_large'
  | 'body_too_large'
  | 'deadline' // the whole exchange took longer than deadlineMs
  | 'aborted' // the caller's signal fired
  | 'bad_body'; // body is not UTF-8 text / JSON where text()/json() was asked for

/** Every failure of {@link request}: one line in `message`, safe to print. */
export class HttpClientError extends Error {
  override readonly name = 'HttpClientError';
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** One request to a server the caller does not trust. */
export interface BoundedRequest {
  /** The server, `http://host:port` or `https://…`. Only its origin is used. */
  readonly base: string | URL;
  /** Origin-relative request target: `/path?query`, starting with exactly one `/`. */
  readonly target: string;
  /** Default `GET`. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Largest response body accepted, in bytes (default {@link DEFAULT_MAX_BODY_BYTES}). */
  readonly maxBodyBytes?: number;
  /** Largest status line + headers accepted (default {@link DEFAULT_MAX_HEADER_BYTES}). */
  readonly maxHeaderBytes?: number;
  /** Deadline for the whole exchange in ms (default {@link DEFAULT_DEADLINE_MS}). */
  readonly deadlineMs?: number;
  /** Aborts the exchange early. */
  readonly signal?: AbortSignal;
}

/** A complete answer whose headers and body stayed within their caps. */
export interface BoundedResponse {
  readonly status: number;
  /** Header names lowercased; repeated headers joined as Node does. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The body as strict UTF-8 (an invalid byte sequence is a `bad_body` failure). */
  text(): string;
  /**
   * The body parsed as JSON, its nesting and number of values bounded first (see
   * {@link parseBoundedJson}), so parsing cannot take more memory than `limits` allow.
   * `bad_body` when it is not UTF-8 JSON or exceeds the limits.
   */
  json(limits?: JsonLimits): unknown;
}

/**
 * Performs one bounded HTTP exchange; see the module comment for what is guaranteed.
 * @throws HttpClientError for every failure, including a 3xx answer.
 */
export async function request(req: BoundedRequest): Promise<BoundedResponse> {
  const url = targetUrl(req.base, req.target);
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const deadlineMs = req.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const body =
    req.body === undefined
      ? undefined
      : typeof req.body === 'string'
        ? Buffer.from(req.body, 'utf8')
        : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
  const headers: Record<string, string> = { ...req.headers };
  // Ask for the body as it is: a compressed answer could expand far beyond maxBodyBytes.
  headers['accept-encoding'] = 'identity';
  if (body !== undefined) headers['content-length'] = String(body.byteLength);

  return new Promise<BoundedResponse>((resolve, reject) => {
    let settled = false;
    let outgoing: ClientRequest | undefined;
    const finish = (error: HttpClientError | undefined, value?: BoundedResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        outgoing?.destroy();
        reject(error);
      } else resolve(value!);
    };
    const timer = setTimeout(
      () =>
        finish(
          new HttpClientError(
            'deadline',
            `${url.origin} did not answer completely within ${formatMs(deadlineMs)}`,
          ),
        ),
      deadlineMs,
    );
    const onAbort = (): void => finish(new HttpClientError('aborted', 'request aborted'));
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    try {
      outgoing = send({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: req.method ?? 'GET',
        headers,
        agent: false,
        maxHeaderSize: req.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
        insecureHTTPParser: false,
      });
    } catch {
      return finish(new HttpClientError('bad_url', `cannot send a request to ${url.origin}`));
    }
    outgoing.on('error', (err: NodeJS.ErrnoException) => finish(describeSocketError(err, url)));
    outgoing.on('response', (res) => {
      const refusal = refuseResponse(res, url, maxBody);
      if (refusal !== undefined) return finish(refusal);
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.byteLength;
        // Checked per chunk, before keeping it: memory never holds more than the cap.
        if (received > maxBody)
          return finish(
            new HttpClientError(
              'body_too_large',
              `the answer from ${url.origin} is larger than ${formatBytes(maxBody)}`,
            ),
          );
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (!res.complete)
          return finish(
            new HttpClientError('network', `${url.origin} closed the connection mid-answer`),
          );
        finish(undefined, boundedResponse(res, Buffer.concat(chunks, received)));
      });
      res.on('aborted', () =>
        finish(new HttpClientError('network', `${url.origin} closed the connection mid-answer`)),
      );
      res.on('error', (err: NodeJS.ErrnoException) => finish(describeSocketError(err, url)));
      res.on('close', () => {
        if (!res.complete)
          finish(new HttpClientError('network', `${url.origin} closed the connection mid-answer`));
      });
    });
    outgoing.end(body);
  });
}

/** The absolute URL of `target` on `base`, checked to stay on `base`'s origin. */
function targetUrl(base: string | URL, target: string): URL {
  let origin: URL;
  try {
    origin = new URL(base);
  } catch {
    throw new HttpClientError('bad_url', 'the server URL is not a valid URL');
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:')
    throw new HttpClientError('bad_url', 'the server URL must start with http:// or https://');
  // Credentials in the URL would be sent as Basic auth to whoever answers: refuse them.
  if (origin.username !== '' || origin.password !== '')
    throw new HttpClientError('bad_url', 'the server URL must not contain a user name or password');
  if (!/^\/(?!\/)[\x21-\x7e]*$/.test(target))
    throw new HttpClientError('bad_url', 'the request target must be a path starting with one /');
  const url = new URL(target, origin.origin);
  if (url.origin !== origin.origin)
    throw new HttpClientError('bad_url', 'the request target leaves the server origin');
  return url;
}

/** Why an answer is refused as soon as its headers are in, or undefined to read its body. */
function refuseResponse(
  res: IncomingMessage,
  url: URL,
  maxBody: number,
): HttpClientError | undefined {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    const location = res.headers.location;
    const where = typeof location === 'string' ? ` to ${escapeForMessage(location, 200)}` : '';
    return new HttpClientError(
      'redirect',
      `${url.origin} answered ${status}, a redirect${where}; redirects are never followed`,
    );
  }
  const coding = res.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity')
    return new HttpClientError(
      'protocol',
      `${url.origin} answered with a content coding that was not asked for`,
    );
  const length = res.headers['content-length'];
  if (length !== undefined && (!/^[0-9]{1,16}$/.test(length) || Number(length) > maxBody))
    return new HttpClientError(
      'body_too_large',
      `the answer from ${url.origin} is larger than ${formatBytes(maxBody)}`,
    );
  return undefined;
}

function boundedResponse(res: IncomingMessage, body: Buffer): BoundedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const text = (): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      throw new HttpClientError('bad_body', 'the answer is not valid UTF-8');
    }
  };
  return {
    status: res.statusCode ?? 0,
    headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    text,
    json: (limits) => {
      const t = text();
      try {
        return parseBoundedJson(t, limits);
      } catch (err) {
        const why =
          err instanceof JsonLimitError && err.message !== 'not JSON' ? `: ${err.message}` : '';
        throw new HttpClientError('bad_body', `the answer is not JSON${why}`);
      }
    },
  };
}

/** Maps a socket or parser error to a one-line failure without the raw Node message. */
function describeSocketError(err: NodeJS.ErrnoException, url: URL): HttpClientError {
  if (err instanceof HttpClientError) return err;
  const code = typeof err.code === 'string' ? err.code : '';
  if (code === 'HPE_HEADER_OVERFLOW')
    return new HttpClientError(
      'headers_too_large',
      `the headers from ${url.origin} are larger than allowed`,
    );
  if (code.startsWith('HPE_'))
    return new HttpClientError('protocol', `${url.origin} did not answer valid HTTP (${code})`);
  const why = /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'connection failed';
  return new HttpClientError('network', `cannot reach ${url.origin} (${why})`);
}

/** Server text quoted inside an error message: escaped, quoted and cut to `max` characters. */
function escapeForMessage(text: string, max: number): string {
  return `"${escapeUntrusted(text.length > max ? `${text.slice(0, max)}…` : text)}"`;
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
