import { signRequest } from '../signing/sign-request.js';
import { HttpClientError, request } from './http.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/**
 * A small client for CI jobs and deploy steps: signs requests (docs/protocol.md §2), sends events,
 * waits for a deploy (§10 `?wait=`), and fetches its attestation. The CLI uses exactly
 * this, so a Node step needs no hand-written signing.
 */

export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `https://gateway.internal`. */
  readonly url: string;
  readonly apiKey: string;
  /** The client's signing secret; needed only for signed POSTs (`sendEvent`, `signedPost`). */
  readonly signingSecret?: string | undefined;
  /** Per-request timeout in ms beyond any `wait` (default 15 000). */
  readonly timeoutMs?: number | undefined;
}

/** An answer of the gateway: status and parsed JSON body (or the text when not JSON). */
export interface GatewayAnswer {
  readonly status: number;
  readonly text: string;
  readonly body: unknown;
  /** `Retry-After` in seconds, when the gateway sent one. */
  readonly retryAfter: number | undefined;
}

/** The deploy view of docs/protocol.md §5/§10 as the client reads it. */
export interface DeployState {
  readonly id: string;
  readonly state: 'pending' | 'approved' | 'expired';
  readonly [field: string]: unknown;
}

/** How a wait ended: the quorum was reached, the deploy expired or is gone, or time ran out. */
export type WaitOutcome =
  | { readonly outcome: 'approved' | 'expired'; readonly deploy: DeployState }
  | { readonly outcome: 'closed'; readonly deploy: undefined }
  | { readonly outcome: 'timeout'; readonly deploy: DeployState | undefined };

/** A refusal or an unusable answer; `code` is the problem+json code when there is one. */
export class GatewayRequestError extends Error {
  override readonly name = 'GatewayRequestError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Largest answer read; a deploy view or an attestation is a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Longest single hold the protocol allows (docs/protocol.md §10). */
export const MAX_WAIT_SECONDS = 60;

export class GatewayClient {
  readonly #url: string;
  readonly #apiKey: string;
  readonly #secret: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: GatewayClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError('GatewayClient: url must be http: or https:');
    this.#url = url.toString();
    this.#apiKey = options.apiKey;
    this.#secret = options.signingSecret;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** POSTs `body` (bytes, text or a JSON value) to `path`, signed with codex-sig/v1. */
  signedPost(path: string, body: Uint8Array | string | object): Promise<GatewayAnswer> {
    if (this.#secret === undefined)
      throw new TypeError('GatewayClient: signingSecret is needed for signed requests');
    const bytes =
      body instanceof Uint8Array
        ? body
        : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
    const headers = signRequest({
      apiKey: this.#apiKey,
      secret: this.#secret,
      method: 'POST',
      target: path,
      body: bytes,
    });
    return this.#request(path, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: bytes,
    });
  }

  /** `POST /v1/events` (docs/protocol.md §3): 200 allow, 202 pending (with `deploy`), 403 deny. */
  sendEvent(event: Uint8Array | string | object): Promise<GatewayAnswer> {
    return this.signedPost('/v1/events', event);
  }

  /** `GET /v1/deploys/<id>`, held up to `waitSeconds` (0..60) while it is pending. */
  getDeploy(id: string, waitSeconds = 0): Promise<GatewayAnswer> {
    checkDeployId(id);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS)
      throw new RangeError(`waitSeconds must be an integer 0..${MAX_WAIT_SECONDS}`);
    const query = waitSeconds > 0 ? `?wait=${waitSeconds}` : '';
    return this.#request(`/v1/deploys/${id}${query}`, { method: 'GET' }, waitSeconds * 1000);
  }

  /**
   * Waits until deploy `id` is approved or expired, or `timeoutSeconds` pass, by repeated
   * held GETs. Backs off on 429/503 (honouring `Retry-After`) and on network errors, and
   * never polls faster than once a second, so an old gateway that ignores `wait` is not
   * hammered. A deploy that is gone (404) is `closed`.
   */
  async waitForDeploy(
    id: string,
    options: { timeoutSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<WaitOutcome> {
    checkDeployId(id);
    const deadline = Date.now() + (options.timeoutSeconds ?? 900) * 1000;
    let last: DeployState | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || options.signal?.aborted === true)
        return { outcome: 'timeout', deploy: last };
      const started = Date.now();
      let pause = 1000;
      try {
        const wait = Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.floor(remaining / 1000)));
        const answer = await this.getDeploy(id, wait);
        if (answer.status === 404) return { outcome: 'closed', deploy: undefined };
        if (answer.status === 200) {
          const deploy = asDeploy(answer.body);
          last = deploy;
          if (deploy.state !== 'pending') return { outcome: deploy.state, deploy };
        } else if (answer.status === 429 || answer.status === 503) {
          pause = Math.min(30, answer.retryAfter ?? 2) * 1000;
        } else {
          throw answerError(answer, `GET /v1/deploys/${id}`);
        }
      } catch (err) {
        if (err instanceof GatewayRequestError && err.status !== 0) throw err;
        pause = 2000; // network trouble: try again until the deadline
      }
      const elapsed = Date.now() - started;
      if (elapsed < pause) await sleep(Math.min(pause - elapsed, deadline - Date.now()));
    }
  }

  /** The exact attestation text of an approved deploy (docs/protocol.md §10). */
  async attestation(id: string): Promise<string> {
    checkDeployId(id);
    const answer = await this.#request(`/v1/deploys/${id}/attestation`, { method: 'GET' });
    if (answer.status !== 200) throw answerError(answer, `GET /v1/deploys/${id}/attestation`);
    return answer.text;
  }

  /** `GET /v1/deliveries?state=&limit=` (docs/protocol.md §11, scope `audit:read`). */
  async listDeliveries(
    state: 'pending' | 'delivered' | 'dead',
    limit = 100,
  ): Promise<DeliveryRow[]> {
    const answer = await this.#request(`/v1/deliveries?state=${state}&limit=${limit}`, {
      method: 'GET',
    });
    if (answer.status !== 200) throw answerError(answer, 'GET /v1/deliveries');
    const list = (answer.body as { deliveries?: unknown } | null)?.deliveries;
    if (!Array.isArray(list) || !list.every(isDeliveryRow))
      throw new GatewayRequestError('GET /v1/deliveries: unexpected answer', -1, undefined);
    return list;
  }

  /** `POST /v1/deliveries/<id>/retry` (docs/protocol.md §11, scope `deliveries:write`). */
  async retryDelivery(id: string): Promise<void> {
    if (!/^msg_[0-9a-f]{32}$/.test(id)) throw new RangeError('not a delivery id');
    const answer = await this.#request(`/v1/deliveries/${id}/retry`, { method: 'POST' });
    if (answer.status !== 200) throw answerError(answer, `POST /v1/deliveries/${id}/retry`);
  }

  async #request(
    target: string,
    init: { method: string; headers?: Record<string, string>; body?: Uint8Array },
    extraMs = 0,
  ): Promise<GatewayAnswer> {
    let res;
    try {
      // The bounded client: no redirects, only this origin, capped size and time.
      res = await request({
        base: this.#url,
        target,
        method: init.method,
        headers: { ...init.headers, 'x-api-key': this.#apiKey },
        ...(init.body === undefined ? {} : { body: init.body }),
        maxBodyBytes: MAX_ANSWER_BYTES,
        deadlineMs: this.#timeoutMs + extraMs,
      });
    } catch (err) {
      const kind = err instanceof HttpClientError ? err.kind : 'network';
      // Network trouble (status 0) may be retried by a wait loop; a hostile answer (-1) not.
      const status = kind === 'network' || kind === 'deadline' ? 0 : -1;
      throw new GatewayRequestError((err as Error).message, status, undefined);
    }
    let text: string;
    try {
      text = res.text();
    } catch {
      throw new GatewayRequestError('the gateway answer is not UTF-8 text', -1, undefined);
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const retry = Number(res.headers['retry-after']);
    return {
      status: res.status,
      text,
      body,
      retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
    };
  }
}

/** One delivery as `GET /v1/deliveries` lists it (docs/protocol.md §11). */
export interface DeliveryRow {
  readonly id: string;
  readonly target: string;
  readonly type: string;
  readonly decision: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly nextAttemptAt: string | null;
}

function isDeliveryRow(v: unknown): v is DeliveryRow {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    ['id', 'target', 'type', 'decision', 'state'].every((k) => typeof d[k] === 'string') &&
    typeof d['attempts'] === 'number' &&
    (d['lastStatus'] === null || typeof d['lastStatus'] === 'number') &&
    (d['nextAttemptAt'] === null || typeof d['nextAttemptAt'] === 'string')
  );
}

/** The error for an unexpected answer: status and problem code, never the body itself. */
export function answerError(answer: GatewayAnswer, what: string): GatewayRequestError {
  const code = problemCode(answer.body);
  return new GatewayRequestError(
    `${what} answered ${answer.status}${code === undefined ? '' : ` ${code}`}`,
    answer.status,
    code,
  );
}

function problemCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const code = (body as { code?: unknown }).code;
  return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
}

function asDeploy(body: unknown): DeployState {
  const b = body as { id?: unknown; state?: unknown } | null;
  if (
    typeof b !== 'object' ||
    b === null ||
    typeof b.id !== 'string' ||
    (b.state !== 'pending' && b.state !== 'approved' && b.state !== 'expired')
  )
    throw new GatewayRequestError(
      'the gateway answered something that is not a deploy',
      -1,
      undefined,
    );
  return b as DeployState;
}

function checkDeployId(id: string): void {
  if (!DEPLOY_ID.test(id))
    throw new TypeError('deploy id must be the lowercase hex id the gateway issued');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
