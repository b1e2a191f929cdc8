import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';

/**
 * Reads a Node request body with 'data'/'end' listeners, stopping as soon as more than
 * `limitBytes` arrived. Resolves to the bytes; rejects with 413 `payload_too_large` past the
 * limit, or 400 `invalid_body` when the body did not arrive whole.
 *
 * Replaces `for await (const chunk of req)`, whose async iterator costs a generator, an
 * end-of-stream watcher and a promise per chunk (bench/README.md, issue 19); what happens
 * to the request stays the same (test/http/node-body.test.ts compares both):
 * - past the limit the request stream is destroyed with its socket detached first, as
 *   Node's stream destroyer did when the `for await` loop was left, so the connection
 *   stays open for the 413 and the rest of the body is never buffered;
 * - a client that resets or closes mid-body (an 'error' or a 'close' before 'end', or a
 *   stream already destroyed when reading starts) gets `invalid_body`: a client-side
 *   event, not a server fault, so never a 500 and an error-level log line that any client
 *   could trigger at will (found by test/hostile).
 */
export function readNodeBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (req.destroyed) {
      reject(incomplete(req.errored ?? new Error('request stream closed before the body')));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      stop();
      abandon(req);
      reject(payloadTooLarge());
    };
    const onEnd = (): void => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: unknown): void => {
      stop();
      reject(incomplete(err));
    };
    const onClose = (): void => {
      stop();
      reject(incomplete(new Error('request stream closed before the body ended')));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** 413 `payload_too_large` (also for a declared Content-Length over the limit). */
export function payloadTooLarge(): GatewayError {
  return new GatewayError('payload_too_large', {
    detail: 'request body exceeds the configured limit',
  });
}

function incomplete(cause: unknown): GatewayError {
  return new GatewayError('invalid_body', {
    detail: 'request body was not received completely',
    cause,
  });
}

/**
 * Stops reading a request whose body will not be used, exactly as Node's stream destroyer
 * (what `for await` ran on an early exit) treats a server request: the socket is detached
 * first, so destroying the request does not destroy the connection the answer goes out
 * on; the parser then drops the rest of the body instead of buffering it.
 */
function abandon(req: IncomingMessage): void {
  (req as { socket: Socket | null }).socket = null;
  req.destroy(abortError());
}

/** What Node's destroyer passes: an AbortError (name and code as Node's own). */
function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}
