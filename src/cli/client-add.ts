import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { clientsFileSchema, SCOPES, type ClientsFile, type Scope } from '../config/clients.js';
import { generateCredentials } from '../config/dev-client.js';
import { parseOptions, type CliIo } from './io.js';

const USAGE =
  'usage: codex-gateway client add --id ID [--scopes events:write,approvals:write,audit:read] [--file clients.json]';

/**
 * `codex-gateway client add`: creates or updates a clients file (mode 0600, written
 * atomically), generating a new API key and signing secret that are printed once. Updating
 * an existing id replaces its key and secret (rotation of the old secret is done by editing
 * `signingSecrets` by hand, so that two secrets are valid only when an operator says so).
 */
export async function clientAddCommand(args: readonly string[], io: CliIo): Promise<number> {
  const opts = parseOptions(args, { values: ['id', 'scopes', 'file'] });
  const id = opts.values.get('id')?.[0];
  if (id === undefined) return usage(io);
  const file = opts.values.get('file')?.[0] ?? process.env.GATEWAY_CLIENTS_FILE ?? 'clients.json';
  const scopes = (opts.values.get('scopes')?.[0] ?? SCOPES.join(',')).split(',').filter(Boolean);
  const badScope = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (badScope !== undefined) {
    io.err(`unknown scope ${badScope}; known: ${SCOPES.join(', ')}\n`);
    return 2;
  }

  let current: ClientsFile = { clients: [] };
  if (existsSync(file)) {
    const parsed = clientsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      io.err(`${file} is not a valid clients file\n`);
      return 1;
    }
    current = parsed.data;
  }
  const creds = generateCredentials(id, scopes as Scope[]);
  const next: ClientsFile = {
    clients: [...current.clients.filter((c) => c.id !== id), creds.entry],
  };
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);

  io.out(
    [
      `client ${id} written to ${file} (mode 0600); scopes: ${scopes.join(', ')}`,
      'Store these now; they are not shown again and only the API key hash is kept:',
      `CODEX_API_KEY=${creds.apiKey}`,
      `CODEX_SIGNING_SECRET=${creds.signingSecret}`,
      '',
    ].join('\n'),
  );
  return 0;
}

function usage(io: CliIo): number {
  io.err(`${USAGE}\n`);
  return 2;
}
