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
  if (node === undefined) return c.req.header(name);
  const v = node.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The request path without the query, read the same way. */
export function pathOf(c: Context<GatewayEnv>): string {
  const url = nodeRequest(c)?.url;
  if (url === undefined) return c.req.path;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
