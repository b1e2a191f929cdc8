import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClientError, request, type HttpFailureKind } from '../../src/client/http.js';

/** Servers opened by a test, closed after it. */
const open: (Server | NetServer)[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const s of open.splice(0)) {
    (s as Server).closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A TCP server that reads and never answers. */
async function silentServer(): Promise<string> {
  const s = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  open.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const s = createServer(handler);
  open.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A TCP server that answers every connection with exactly `raw`, for non-HTTP-conformant lies. */
async function rawServer(raw: string | Buffer, thenClose = false): Promise<string> {
  const s = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => (thenClose ? socket.end(raw) : socket.write(raw)));
  });
  open.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<HttpClientError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpClientError);
  return err as HttpClientError;
}

async function expectKind(p: Promise<unknown>, kind: HttpFailureKind): Promise<string> {
  const err = await failure(p);
  expect(err.kind).toBe(kind);
  // eslint-disable-next-line no-control-regex -- checking that no control character is left
  expect(err.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  return err.message;
}

describe('bounded HTTP client', () => {
  it('returns status, headers and body of an ordinary answer, 4xx included', async () => {
    const base = await httpServer((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, key: req.headers['x-api-key'] }));
    });
    const ok = await request({ base, target: '/v1/x?a=1', headers: { 'x-api-key': 'k1' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    expect(ok.json()).toEqual({ path: '/v1/x?a=1', key: 'k1' });
    expect((await request({ base, target: '/missing' })).status).toBe(404);
  });

  it('sends a POST body with its length and never asks for a compressed answer', async () => {
    let seen: { body: string; length: string | undefined; coding: string | undefined } | undefined;
    const base = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = {
          body,
          length: req.headers['content-length'],
          coding: req.headers['accept-encoding'],
        };
        res.end('{}');
      });
    });
    await request({ base, target: '/p', method: 'POST', body: '{"a":"é"}' });
    expect(seen).toEqual({ body: '{"a":"é"}', length: '10', coding: 'identity' });
  });

  for (const method of ['GET', 'POST']) {
    it(`refuses a cross-origin redirect on ${method}; the other host sees nothing`, async () => {
      const seenByOther: IncomingMessage[] = [];
      const other = await httpServer((req, res) => {
        seenByOther.push(req);
        res.end('{}');
      });
      for (const status of [301, 302, 303, 307, 308]) {
        const base = await httpServer((_req, res) => {
          res.writeHead(status, { location: `${other}/steal` });
          res.end();
        });
        const message = await expectKind(
          request({
            base,
            target: '/v1/deploys/ab',
            method,
            headers: { 'x-api-key': 'secret-key' },
            ...(method === 'POST' ? { body: '{}' } : {}),
          }),
          'redirect',
        );
        expect(message).toContain(`answered ${status}`);
        expect(message).toContain(`${other}/steal`);
      }
      expect(seenByOther).toHaveLength(0);
    });
  }

  it('escapes a Location with C1 controls in its message; refuses one with C0 outright', async () => {
    // Header bytes 0x80-0xff are legal HTTP (obs-text) and read as Latin-1: 0x9b is C1 CSI.
    const base = await rawServer(
      Buffer.concat([
        Buffer.from('HTTP/1.1 302 Found\r\nlocation: http://x/'),
        Buffer.from([0x9b, 0x31, 0x41, 0x9d]),
        Buffer.from('\r\ncontent-length: 0\r\n\r\n'),
      ]),
    );
    const message = await expectKind(request({ base, target: '/' }), 'redirect');
    expect(message).toContain('http://x/\\x9b1A\\x9d');
    const esc = await rawServer(
      'HTTP/1.1 302 Found\r\nlocation: http://x/\u001b[2J\r\ncontent-length: 0\r\n\r\n',
    );
    await expectKind(request({ base: esc, target: '/' }), 'protocol');
  });

  it('cuts a chunked answer with no length at the cap, while it streams', async () => {
    let sent = 0;
    const base = await httpServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!res.destroyed && sent < 256 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    const message = await expectKind(
      request({ base, target: '/big', maxBodyBytes: 1024 * 1024 }),
      'body_too_large',
    );
    expect(message).toContain('larger than 1 MiB');
    // The server stopped well before its 256 MiB: the client hung up at the cap.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a declared Content-Length above the cap before reading the body', async () => {
    const base = await rawServer('HTTP/1.1 200 OK\r\ncontent-length: 999999999999\r\n\r\n');
    await expectKind(request({ base, target: '/', maxBodyBytes: 1000 }), 'body_too_large');
  });

  it('ends a drip-fed answer at the deadline', async () => {
    const base = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 100);
      res.on('close', () => clearInterval(t));
    });
    const started = performance.now();
    const message = await expectKind(request({ base, target: '/', deadlineMs: 800 }), 'deadline');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(750);
    expect(took).toBeLessThan(2000);
    expect(message).toContain('within 800 ms');
  });

  it('ends at the deadline when the server never answers', async () => {
    const base = await silentServer();
    await expectKind(request({ base, target: '/', deadlineMs: 300 }), 'deadline');
  });

  it('refuses headers beyond the header cap', async () => {
    const base = await rawServer(
      `HTTP/1.1 200 OK\r\n${'x-filler: '.concat('a'.repeat(1000), '\r\n').repeat(100)}content-length: 0\r\n\r\n`,
    );
    await expectKind(request({ base, target: '/' }), 'headers_too_large');
  });

  it('refuses a content coding it did not ask for', async () => {
    const base = await rawServer(
      'HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 2\r\n\r\n{}',
    );
    await expectKind(request({ base, target: '/' }), 'protocol');
  });

  it('reports an answer cut short, non-HTTP bytes and a refused connection as one line each', async () => {
    const cut = await rawServer('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort', true);
    await expectKind(request({ base: cut, target: '/' }), 'network');
    const garbage = await rawServer('\u001b[31mHELLO\r\n\r\n', true);
    await expectKind(request({ base: garbage, target: '/' }), 'protocol');
    const s = createNetServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const message = await expectKind(
      request({ base: `http://127.0.0.1:${port}`, target: '/' }),
      'network',
    );
    expect(message).toContain('ECONNREFUSED');
  });

  it('decodes text strictly as UTF-8 and JSON strictly', async () => {
    const bad = await rawServer(
      Buffer.concat([
        Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n'),
        Buffer.from([0x22, 0xff, 0x22]),
      ]),
    );
    const res = await request({ base: bad, target: '/' });
    expect(() => res.text()).toThrow(HttpClientError);
    const notJson = await rawServer('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n{x}');
    const r2 = await request({ base: notJson, target: '/' });
    expect(() => r2.json()).toThrow(/not JSON/);
  });

  it('refuses targets that leave the origin and unusable server URLs', async () => {
    for (const target of ['//evil.example/x', 'relative', '/a b', '/\u001b']) {
      await expectKind(request({ base: 'http://127.0.0.1:1', target }), 'bad_url');
    }
    for (const base of ['ftp://127.0.0.1/', 'http://user:pw@127.0.0.1/', 'not a url']) {
      await expectKind(request({ base, target: '/' }), 'bad_url');
    }
  });

  it('stops when the caller aborts', async () => {
    const base = await silentServer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expectKind(request({ base, target: '/', signal: controller.signal }), 'aborted');
  });
});
