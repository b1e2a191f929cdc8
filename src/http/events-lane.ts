import type {
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  ServerResponse,
} from 'node:http';
import type { Scope } from '../config/clients.js';
import { checkSignedRequest } from './auth.js';
import { refusalFor } from './failure.js';
import type { HttpDeps } from './http-deps.js';
import { nodeHeader } from './incoming.js';
import { jsonAnswerHeaders } from './json-answer.js';
import { problemAnswer } from './problem.js';
import { readNodeRequest } from './raw-request.js';
import { requestIdFor, type RequestRecorder } from './request-record.js';
import { answerEvent } from './routes/events-route.js';

/** The route the lane serves, as the route table names it. */
export interface LaneRoute {
  readonly path: string;
  readonly scope: Scope;
}

/**
 * `POST /v1/events` served straight from Node's request and response; every other request
 * goes to `rest` (the Hono app). Why: Hono's request object, context, middleware chain
 * and response conversion cost about a tenth of this route's CPU at its maximum rate,
 * measured A/B (bench/README.md, issue 19).
 *
 * The lane runs the same code as the app's route for everything that decides: the body
 * read with its limit (raw-request.ts), checks 1–6 under one policy snapshot timed as stage
 * `verify` (`checkSignedRequest`, auth.ts), check 7, the decision and the answer's JSON
 * (events-route.ts) with its header lines (json-answer.ts), the problem+json of a refusal
 * (problem.ts) with the same logging and counting (failure.ts), and the access line and
 * request metric (request-record.ts). What it does itself is only what Hono did around
 * them: write the answer and drop a body a refusal left unread. test/http/events-lane.test.ts sends
 * every outcome to both and compares the bytes on the wire, the log lines and the metrics.
 *
 * Only the exact origin-form target (`/v1/events`, optionally with a query) is taken:
 * any other spelling (`/v1/events/`, percent-encoded, absolute-form) goes to the app,
 * which answers it as it always did.
 */
export function withEventsLane(
  deps: HttpDeps,
  route: LaneRoute,
  record: RequestRecorder,
  rest: RequestListener,
): RequestListener {
  const { path, scope } = route;
  const withQuery = `${path}?`;
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const requestId = requestIdFor(nodeHeader(req, 'x-request-id'));
    let client: string | undefined;
    let code: string | undefined;
    let status: number;
    let headers: OutgoingHttpHeaders;
    let body: string | Buffer;
    try {
      const checked = await checkSignedRequest(
        deps,
        await readNodeRequest(req, deps.bodyLimitBytes),
        scope,
      );
      client = checked.client.id;
      ({ status, body } = await answerEvent(deps, checked.signed, client));
      headers = jsonAnswerHeaders(requestId, body);
    } catch (err) {
      const refusal = refusalFor(err, requestId, deps.logger, deps.metrics);
      const problem = problemAnswer(refusal, requestId);
      code = refusal.code;
      ({ status, body } = problem);
      headers = { ...problem.headers, 'Content-Length': Buffer.byteLength(body) };
    }
    res.writeHead(status, headers);
    res.end(body);
    if (!req.readableEnded) dropUnreadBody(req);
    record({
      requestId,
      route: path,
      method: 'POST',
      // The lane takes only `path` itself, with or without a query.
      path,
      status,
      ms: performance.now() - started,
      client,
      code,
    });
  };
  return (req, res) => {
    const url = req.url;
    if (req.method === 'POST' && url !== undefined && (url === path || url.startsWith(withQuery)))
      serve(req, res).catch((err: unknown) => {
        // Only writing the answer or the log line can get here; the connection cannot be
        // trusted any more.
        deps.logger.error({ err }, 'answering a request failed');
        res.destroy();
      });
    else void rest(req, res);
  };
}

/** What a refused request may still send after its answer before its connection is closed. */
const DRAIN_LIMIT = { bytes: 64 * 1024 * 1024, ms: 500 } as const;

/**
 * A body a refusal did not read (declared over the limit, or an unsupported transfer
 * coding) is read and dropped, at most `DRAIN_LIMIT`, then the connection is closed: what
 * @hono/node-server does for the app's routes, so a client cannot hold the socket by
 * sending on.
 */
function dropUnreadBody(req: IncomingMessage): void {
  if (req.destroyed) return;
  let bytes = 0;
  const close = (): void => {
    stop();
    req.socket?.destroySoon();
  };
  const onData = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > DRAIN_LIMIT.bytes) close();
  };
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', stop);
    req.off('error', stop);
  };
  const timer = setTimeout(close, DRAIN_LIMIT.ms);
  timer.unref();
  req.on('data', onData);
  req.on('end', stop);
  req.on('error', stop);
}
