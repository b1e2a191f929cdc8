import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import type { GatewayEnv } from './env.js';

/**
 * The raw Node request behind `c` when served by @hono/node-server; undefined under
 * `app.request()`. Reading headers, method and URL from it avoids building a WHATWG
 * Request on the hot path (DESIGN.md, performance notes).
 */
export function nodeRequest(c: Context<GatewayEnv>): IncomingMessage | undefined {
  const incoming = c.env?.incoming;
  return incoming !== undefined && 'socket' in incoming ? (incoming as IncomingMessage) : undefined;
}

/** A request header (lower-case name), read without materialising a WHATWG Request. */
export function headerOf(c: Context<GatewayEnv>, name: string): string | undefined {
  const node = nodeRequest(c);
  return node === undefined ? c.req.header(name) : nodeHeader(node, name);
}

/** A header (lower-case name) of a Node request; repeated lines arrive joined with ", ". */
export function nodeHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * True when header `name` (lower case) came on more than one line. Node joins repeated
 * custom headers with ", " (and keeps only the first Authorization), so the count comes
 * from the raw header list; under `app.request()` the lines are already merged (false).
 */
export function headerRepeated(c: Context<GatewayEnv>, name: string): boolean {
  const raw = nodeRequest(c)?.rawHeaders;
  return raw !== undefined && headerLineCount(raw, name) > 1;
}

/** How many lines of `rawHeaders` (Node's [name, value, …] list) carry header `name` (lower case). */
export function headerLineCount(rawHeaders: readonly string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.length === name.length && rawHeaders[i]!.toLowerCase() === name) n += 1;
  return n;
}

/** The request path without the query, read the same way. */
export function pathOf(c: Context<GatewayEnv>): string {
  const url = nodeRequest(c)?.url;
  if (url === undefined) return c.req.path;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
