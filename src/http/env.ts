import type { HttpBindings } from '@hono/node-server';
import type { Client } from '../config/clients.js';

/**
 * Hono environment of the gateway. `incoming` is the raw Node request when served by
 * @hono/node-server (absent under `app.request()` in tests); reading from it directly
 * avoids building a WHATWG Request on the hot path (see DESIGN.md, performance notes).
 */
export interface GatewayEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    client: Client;
  };
}
