import fc from 'fast-check';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { readNodeBody } from '../../src/http/node-body.js';

/**
 * readNodeBody ('data'/'end' listeners, issue 19) against the reader it replaced (the
 * `for await` loop of src/http/raw-request.ts, copied below), through a real Node HTTP
 * server: same bytes, same refusals, and the same state of the request and its socket
 * afterwards (a 413 must still reach the client; a mid-body reset is `invalid_body`).
 */
async function previousReader(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limitBytes)
        throw new GatewayError('payload_too_large', {
          detail: 'request body exceeds the configured limit',
        });
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('invalid_body', {
      detail: 'request body was not received completely',
      cause: err,
    });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

type Reader = (req: IncomingMessage, limitBytes: number) => Promise<Buffer>;

/** What the server saw: the body or the refusal, and the request's state after reading. */
interface ServerView {
  readonly body?: string;
  readonly code?: string;
  readonly detail?: string | undefined;
  readonly destroyed: boolean;
  readonly socketAttached: boolean;
  readonly erroredName: string | undefined;
}

/** One exchange: pieces written to a raw socket (then maybe a reset), and what came back. */
interface Exchange {
  readonly server: ServerView;
  /** The status line's code the client received, or 0 when none. */
  readonly status: number;
}

let server: Server;
let port: number;
let reader: Reader = readNodeBody;
let limit = 64;
let seen: ((v: ServerView) => void) | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    reader(req, limit).then(
      (body) => {
        seen?.(view(req, { body: body.toString('latin1') }));
        res.end('ok');
      },
      (err: GatewayError) => {
        // After the reader gave up, as the gateway does: answer (413 or 400) if still possible.
        setImmediate(() => {
          seen?.(view(req, { code: err.code, detail: err.detail }));
          res.statusCode = err.code === 'payload_too_large' ? 413 : 400;
          res.end(err.code);
        });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function view(req: IncomingMessage, outcome: Partial<ServerView>): ServerView {
  return {
    ...outcome,
    destroyed: req.destroyed,
    socketAttached: req.socket !== null,
    erroredName: req.errored?.name,
  };
}

/** Sends `head` + `pieces` (each after a short pause), then ends or resets the socket. */
function exchange(
  use: Reader,
  head: string,
  pieces: readonly Buffer[],
  reset: boolean,
): Promise<Exchange> {
  reader = use;
  return new Promise((resolve) => {
    let serverView: ServerView | undefined;
    let status = 0;
    let settled = false;
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const finish = (): void => {
      if (settled || serverView === undefined) return;
      settled = true;
      socket.destroy();
      resolve({ server: serverView, status });
    };
    seen = (v) => {
      serverView = v;
      // Give the answer a moment to arrive (or not, when the connection was reset).
      setTimeout(finish, 50);
    };
    socket.on('data', (d: Buffer) => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'));
      if (m !== null) status = Number(m[1]);
    });
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(head);
      const next = (i: number): void => {
        if (i === pieces.length) {
          if (reset) socket.resetAndDestroy();
          return;
        }
        socket.write(pieces[i]!, () => setTimeout(() => next(i + 1), 2));
      };
      next(0);
    });
  });
}

const chunkedHead =
  'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n';
const sizedHead = (n: number): string =>
  `POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${n}\r\n\r\n`;
const chunk = (b: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** Both readers on the same exchange; their outcomes must be equal. */
async function both(head: string, pieces: readonly Buffer[], reset = false): Promise<Exchange> {
  const before = await exchange(previousReader, head, pieces, reset);
  const after = await exchange(readNodeBody, head, pieces, reset);
  expect(after).toEqual(before);
  return after;
}

describe('readNodeBody matches the for-await reader it replaced', () => {
  it('a Content-Length body, whole or in pieces', async () => {
    limit = 64;
    const body = Buffer.from('{"a":"' + 'x'.repeat(40) + '"}');
    const r = await both(sizedHead(body.length), [body]);
    expect(r.server.body).toBe(body.toString('latin1'));
    expect(r.status).toBe(200);
    await both(sizedHead(body.length), [body.subarray(0, 10), body.subarray(10)]);
  });

  it('an empty body', async () => {
    const r = await both(sizedHead(0), []);
    expect(r.server.body).toBe('');
  });

  it('a chunked body over the limit: 413, connection kept for the answer', async () => {
    limit = 64;
    const r = await both(chunkedHead, [
      chunk(Buffer.alloc(40, 0x61)),
      chunk(Buffer.alloc(40, 0x62)),
      chunk(Buffer.alloc(40, 0x63)),
      LAST_CHUNK,
    ]);
    expect(r.server.code).toBe('payload_too_large');
    expect(r.status).toBe(413);
    expect(r.server).toMatchObject({ destroyed: true, socketAttached: false });
    expect(r.server.erroredName).toBe('AbortError');
  });

  it('a client that resets mid-body: invalid_body', async () => {
    limit = 4096;
    const r = await both(sizedHead(1000), [Buffer.alloc(100, 0x61)], true);
    expect(r.server.code).toBe('invalid_body');
    expect(r.server.detail).toBe('request body was not received completely');
  });

  it('random bodies, splits and limits (chunked and sized)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 320 }),
        fc.boolean(),
        async (bytes, sizes, max, chunked) => {
          limit = max;
          const body = Buffer.from(bytes);
          const parts: Buffer[] = [];
          for (let at = 0, i = 0; at < body.length; i++) {
            const n = sizes[i % sizes.length]!;
            parts.push(body.subarray(at, at + n));
            at += n;
          }
          const r = chunked
            ? await both(chunkedHead, [...parts.map(chunk), LAST_CHUNK])
            : await both(sizedHead(body.length), parts);
          if (body.length <= max) expect(r.server.body).toBe(body.toString('latin1'));
          else expect(r.server.code).toBe('payload_too_large');
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
