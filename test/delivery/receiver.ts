import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface Received {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly contentType: string;
  readonly body: string;
  /** Unix ms the request's body was complete. */
  readonly at: number;
  readonly path: string;
}

/** What the receiver does with request number `n` (0-based, all ids counted together). */
export type Behaviour =
  | {
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly delayMs?: number;
    }
  | { readonly hang: true }
  | { readonly closeMidAnswer: true };

/**
 * A real HTTP receiver on loopback for delivery tests. It records every request, counts
 * how many requests for the same `webhook-id` are in flight at once (the "never two at
 * once" check), and answers as `behave` says.
 */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Largest number of requests for one webhook-id seen in flight together. */
  readonly maxConcurrentPerId: number;
  /** Largest number of requests in flight together (any ids). */
  readonly maxConcurrent: number;
  behave: (r: Received, n: number) => Behaviour;
  /** Resolves once `predicate` holds (polled), or rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(
  behave: (r: Received, n: number) => Behaviour = () => ({ status: 200 }),
  /** Listen on this port (a restart test's fixed target URL); default any free port. */
  port = 0,
): Promise<Receiver> {
  const received: Received[] = [];
  const inflight = new Map<string, number>();
  let total = 0;
  let maxPerId = 0;
  let maxAll = 0;
  const hung: ServerResponse[] = [];
  const state = { behave };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const id = String(req.headers['webhook-id'] ?? '');
    const n = (inflight.get(id) ?? 0) + 1;
    inflight.set(id, n);
    total += 1;
    maxPerId = Math.max(maxPerId, n);
    maxAll = Math.max(maxAll, total);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inflight.set(id, (inflight.get(id) ?? 1) - 1);
      total -= 1;
    };
    res.on('close', finish);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        id,
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        contentType: String(req.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        path: req.url ?? '',
      };
      const index = received.length;
      received.push(r);
      const b = state.behave(r, index);
      if ('hang' in b) {
        hung.push(res);
        return;
      }
      if ('closeMidAnswer' in b) {
        // A status line and part of a promised body, then the connection is cut.
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
      const answer = (): void => {
        res.writeHead(b.status, { 'content-type': 'text/plain', ...b.headers });
        res.end('ok');
      };
      if (b.delayMs === undefined) answer();
      else setTimeout(answer, b.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    received,
    get maxConcurrentPerId() {
      return maxPerId;
    },
    get maxConcurrent() {
      return maxAll;
    },
    get behave() {
      return state.behave;
    },
    set behave(f) {
      state.behave = f;
    },
    waitFor: async (predicate, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(
            `receiver: condition not met within ${timeoutMs} ms (${received.length} received)`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh `whsec_` secret of `bytes` random bytes. */
export function newSecret(bytes = 32): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64')}`;
}
