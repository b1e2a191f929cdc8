import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** How one attempt ended. */
export type AttemptResult =
  | {
      readonly kind: 'answer';
      readonly status: number;
      /** The raw `Retry-After` header, when the receiver sent one. */
      readonly retryAfter?: string;
    }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly code: string };

/** Largest answer body read (and discarded); beyond it the connection is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends delivery POSTs to one target. One keep-alive agent per target, with at most
 * `maxSockets` connections, so a slow target holds only its own sockets. Redirects are
 * never followed (node:http does not follow them; a 3xx is just a failed attempt), and
 * the URL always comes from the operator's targets file.
 */
export class TargetSender {
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #timeoutMs: number;

  constructor(url: URL, options: { readonly maxSockets: number; readonly timeoutMs: number }) {
    this.#url = url;
    this.#timeoutMs = options.timeoutMs;
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
    };
    this.#agent =
      url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /**
   * POSTs `body` with `headers`. Resolves (never rejects) once the whole answer was read,
   * the connection failed, or `timeoutMs` passed since the start (connect, send and answer
   * all count): a receiver that answers slowly or never cannot hold the attempt longer.
   */
  post(headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const payload = Buffer.from(body, 'utf8');
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (r: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const req = send(this.#url, {
        method: 'POST',
        agent: this.#agent,
        headers: {
          ...headers,
          'content-length': String(payload.length),
          'user-agent': 'codex-gateway-delivery/1',
        },
      });
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy(new Error('delivery attempt timed out'));
      }, this.#timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) =>
        finish({ kind: 'network', code: err.code ?? 'ERROR' }),
      );
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers['retry-after'];
        let read = 0;
        // The answer counts only once it arrived whole: a receiver that closes the connection
        // mid-answer may not have committed anything, so that attempt is a failure.
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) {
            // A complete status line and headers were received; the rest is of no interest.
            finish(withRetryAfter(status, retryAfter));
            res.destroy();
          }
        });
        res.on('end', () => finish(withRetryAfter(status, retryAfter)));
        res.on('aborted', () => finish({ kind: 'network', code: 'ECONNRESET' }));
        res.on('error', (err: NodeJS.ErrnoException) =>
          finish({ kind: 'network', code: err.code ?? 'ERROR' }),
        );
      });
      req.end(payload);
    });
  }

  /** Drops every pooled connection. */
  close(): void {
    this.#agent.destroy();
  }
}

function withRetryAfter(status: number, retryAfter: string | undefined): AttemptResult {
  return retryAfter === undefined
    ? { kind: 'answer', status }
    : { kind: 'answer', status, retryAfter };
}
