import type { Context } from 'hono';
import type { AuditReader } from '../../audit/audit-service.js';
import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../env.js';

/** Most entries one `GET /v1/audit/entries?start=&count=` may ask for. */
export const MAX_ENTRIES_PER_REQUEST = 256;

/**
 * Indices and sizes arrive as text from the client. Only plain decimal digits are
 * accepted (no sign, space, exponent, hex or fraction, which `Number()` would all
 * happily parse), at most 15 of them so the value stays an exact safe integer.
 */
export const INDEX_PATTERN = /^[0-9]{1,15}$/;

type Handler = (c: Context<GatewayEnv>) => Promise<Response> | Response;

/**
 * The audit read routes (docs/protocol.md §6), mounted behind key-only auth with scope
 * `audit:read` from the route table. Range problems are 400 `invalid_range`; the reader
 * checks values against the current tree size.
 *
 * Beyond docs/protocol.md: `GET /v1/audit/entries?start=S&count=N` returns
 * `{ "start", "entries": [ <entry view>, ... ] }` for at most {@link MAX_ENTRIES_PER_REQUEST}
 * entries, so an auditor can download the whole log in bounded batches.
 */
export const auditHandlers = {
  checkpoint:
    (reader: AuditReader): Handler =>
    async (c) => {
      const note = await reader.checkpoint();
      return c.body(note, 200, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
      });
    },
  key:
    (reader: AuditReader): Handler =>
    (c) =>
      c.json(reader.key()),
  entry:
    (reader: AuditReader): Handler =>
    async (c) => {
      const index = parseIndex(c.req.param('index'), 'index');
      const [entry] = await reader.entries(index, 1);
      return c.json(entry);
    },
  entries:
    (reader: AuditReader): Handler =>
    async (c) => {
      const start = parseIndex(singleQuery(c, 'start'), 'start');
      const count = parseIndex(singleQuery(c, 'count'), 'count');
      if (count < 1 || count > MAX_ENTRIES_PER_REQUEST)
        throw new GatewayError('invalid_range', {
          detail: `count must be between 1 and ${MAX_ENTRIES_PER_REQUEST}`,
        });
      return c.json({ start, entries: await reader.entries(start, count) });
    },
  inclusion:
    (reader: AuditReader): Handler =>
    async (c) => {
      const index = parseIndex(singleQuery(c, 'index'), 'index');
      const size = optionalIndex(singleQuery(c, 'size'), 'size');
      return c.json(await reader.inclusion(index, size));
    },
  consistency:
    (reader: AuditReader): Handler =>
    async (c) => {
      const from = parseIndex(singleQuery(c, 'from'), 'from');
      const to = optionalIndex(singleQuery(c, 'to'), 'to');
      return c.json(await reader.consistency(from, to));
    },
} as const;

/** A query parameter given at most once; repeating it is ambiguous and refused. */
function singleQuery(c: Context<GatewayEnv>, name: string): string | undefined {
  const values = c.req.queries(name);
  if (values === undefined) return undefined;
  if (values.length !== 1)
    throw new GatewayError('invalid_range', { detail: `${name} must be given once` });
  return values[0];
}

/** Parses a required index/size or throws `invalid_range`. */
export function parseIndex(text: string | undefined, name: string): number {
  if (text === undefined || !INDEX_PATTERN.test(text))
    throw new GatewayError('invalid_range', {
      detail: `${name} must be a decimal integer (digits only)`,
    });
  return Number(text);
}

function optionalIndex(text: string | undefined, name: string): number | undefined {
  return text === undefined ? undefined : parseIndex(text, name);
}
