import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { clientsFileSchema, SCOPES, type ClientsFile, type Scope } from '../config/clients.js';
import { generateCredentials } from '../config/dev-client.js';
import { usageError, type CliCommand } from './command.js';
import type { CliIo } from './io.js';

/**
 * `codex-gateway client add`: creates or updates a clients file (mode 0600, written
 * atomically), generating a new API key and signing secret that are printed once. Updating
 * an existing id replaces its key and secret (rotation of the old secret is done by editing
 * `signingSecrets` by hand, so that two secrets are valid only when an operator says so).
 */
export const command: CliCommand = {
  name: 'client add',
  summary: 'Add or replace a client in the clients file; prints its new API key and secret once.',
  options: {
    id: { type: 'string', value: 'ID', description: 'client id (required), e.g. ci-main' },
    scopes: {
      type: 'string',
      value: 'LIST',
      description: `comma-separated scopes [${SCOPES.join(',')}]`,
    },
    file: {
      type: 'string',
      value: 'FILE',
      description: 'clients file to write (mode 0600) [$GATEWAY_CLIENTS_FILE or clients.json]',
    },
  },
  run: async (args, io) => {
    const id = args.string('id');
    if (id === undefined) return usageError(io, command, 'missing --id ID');
    const file = args.string('file') ?? process.env.GATEWAY_CLIENTS_FILE ?? 'clients.json';
    const scopes = (args.string('scopes') ?? SCOPES.join(',')).split(',').filter(Boolean);
    const badScope = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
    if (badScope !== undefined)
      return usageError(io, command, `unknown scope ${badScope}; known: ${SCOPES.join(', ')}`);
    return clientAdd(id, scopes as Scope[], file, io);
  },
};

async function clientAdd(id: string, scopes: Scope[], file: string, io: CliIo): Promise<number> {
  let current: ClientsFile = { clients: [] };
  if (existsSync(file)) {
    const parsed = clientsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      io.err(`${file} is not a valid clients file\n`);
      return 1;
    }
    current = parsed.data;
  }
  const creds = generateCredentials(id, scopes);
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
