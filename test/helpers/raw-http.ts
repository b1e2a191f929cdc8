import { connect } from 'node:net';

/** What came back on the socket for one hostile request. */
export interface RawOutcome {
  /** HTTP status of the first response, or undefined when none arrived. */
  readonly status: number | undefined;
  /** The problem `code` when the answer was problem+json, else undefined. */
  readonly code: string | undefined;
  /** True when the per-case deadline passed before a full answer. */
  readonly timedOut: boolean;
  /** A socket error (reset, broken pipe) seen before a full answer. */
  readonly socketError: string | undefined;
}

/** One piece of a request and how long to wait before writing it (slow senders). */
export interface Piece {
  readonly bytes: Buffer;
  readonly delayMs: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Writes `pieces` to a fresh TCP connection exactly as given (no HTTP client in between, so
 * malformed framing reaches the server's parser) and reads the first response: the status
 * line, and the body when it is Content-Length framed (to read a problem `code`). The socket
 * is destroyed once the answer is complete or `deadlineMs` passes.
 */
export function rawExchange(
  port: number,
  pieces: readonly Piece[],
  deadlineMs: number,
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    let socketError: string | undefined;
    const timers: NodeJS.Timeout[] = [];
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ ...parseResponse(received), timedOut, socketError });
    };
    timers.push(setTimeout(() => finish(true), deadlineMs));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (isComplete(received)) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      socketError = err.code ?? err.message;
    });
    socket.on('close', () => finish(false));
    // Each piece is scheduled only after the previous one was written. Scheduling them all
    // up front with growing delays is NOT safe: Node keeps one timer list per duration,
    // and when the event loop lags, a later timer of one list can fire before an earlier
    // timer of another, so the bytes would reach the server out of order (that produced
    // spurious 400s and hangs here, reproduced with a bare node:http server).
    const writeFrom = (k: number): void => {
      const piece = pieces[k];
      if (piece === undefined || settled || socket.destroyed) return;
      const write = (): void => {
        if (settled || socket.destroyed) return;
        socket.write(piece.bytes);
        writeFrom(k + 1);
      };
      if (piece.delayMs === 0) write();
      else timers.push(setTimeout(write, piece.delayMs));
    };
    socket.once('connect', () => writeFrom(0));
  });
}

function headEnd(buf: Buffer): number {
  return buf.indexOf(HEAD_END);
}

function isComplete(buf: Buffer): boolean {
  const end = headEnd(buf);
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length !== null) return buf.length - (end + 4) >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(head))
    return buf.subarray(end + 4).includes(Buffer.from('0\r\n\r\n'));
  return true;
}

function parseResponse(buf: Buffer): { status: number | undefined; code: string | undefined } {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, 16).toString('latin1'));
  if (m === null) return { status: undefined, code: undefined };
  const end = headEnd(buf);
  let code: string | undefined;
  if (end >= 0) {
    const body = buf.subarray(end + 4).toString('utf8');
    code = /"code":"([a-z_]+)"/.exec(body)?.[1];
  }
  return { status: Number(m[1]), code };
}
