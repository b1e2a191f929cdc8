import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { createRequestListener } from '../../src/app.js';
import { buildGateway, type Gateway, type GatewayOverrides } from '../../src/compose.js';
import { loadConfig } from '../../src/config/env.js';
import type { NewCredentials } from '../../src/config/dev-client.js';
import { signRequest } from '../../src/signing/index.js';
import {
  openPolicy,
  tempDir,
  testClient,
  writeClientsFile,
  writePolicyFile,
} from '../helpers/credentials.js';
import { writeTargetsFile, type TargetEntry } from './e2e-support.js';

/**
 * The real gateway (compose.ts and app.ts, exactly what `serve` builds) listening on
 * loopback inside the test process, for delivery tests that need a faster retry schedule
 * than the contract's 30 tries over 24 h (GatewayOverrides; the environment has no such
 * knob). A real HTTP server: the CLI and fetch talk to it over TCP.
 */
export interface InProcessGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly clients: readonly NewCredentials[];
  post(target: string, body: unknown, as?: NewCredentials): Promise<Response>;
  get(target: string, as?: NewCredentials): Promise<Response>;
  close(): Promise<void>;
}

export async function startInProcessGateway(options: {
  readonly targets: readonly TargetEntry[];
  readonly clients?: readonly NewCredentials[];
  readonly overrides?: GatewayOverrides;
  readonly env?: Record<string, string>;
}): Promise<InProcessGateway> {
  const dir = tempDir('codex-dlv-inproc-');
  const clients = options.clients ?? [testClient()];
  const config = loadConfig({
    GATEWAY_CLIENTS_FILE: writeClientsFile(dir, clients),
    GATEWAY_POLICY_FILE: writePolicyFile(dir, openPolicy(clients.map((c) => c.id))),
    GATEWAY_DATA_DIR: path.join(dir, 'data'),
    GATEWAY_LOG_ORIGIN: 'test.codex-gateway.local/log',
    GATEWAY_TARGETS_FILE: writeTargetsFile(dir, options.targets),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const gateway = await buildGateway(
    config,
    pino({ level: 'silent' }),
    () => {},
    options.overrides,
  );
  const server = createServer(createRequestListener(gateway.deps, { hostname: '127.0.0.1' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.start();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = clients[0]!;
  return {
    url,
    gateway,
    clients,
    post: (target, body, as = first) => {
      const text = JSON.stringify(body);
      const signed = signRequest({
        apiKey: as.apiKey,
        secret: as.signingSecret,
        method: 'POST',
        target,
        body: text,
      });
      return fetch(url + target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed },
        body: text,
      });
    },
    get: (target, as = first) => fetch(url + target, { headers: { 'x-api-key': as.apiKey } }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}
