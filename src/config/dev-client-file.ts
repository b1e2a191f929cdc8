import path from 'node:path';
import {
  PrivateFileError,
  createPrivateFile,
  readPrivateFile,
} from '../secret-file/private-file.js';
import { buildClientRegistry, type ClientRegistry, type ClientsFile } from './clients.js';
import { generateDevClient, type NewCredentials } from './dev-client.js';
import { ConfigError } from './env.js';

/** Name of the development client's file inside GATEWAY_DATA_DIR. */
export const DEV_CLIENT_FILE = 'dev-client.json';

/** The development client the gateway serves with. */
export interface DevClient {
  readonly id: string;
  readonly file: string;
  readonly registry: ClientRegistry;
  /** Set only when this start created the client: the API key and secret to show once. */
  readonly created?: NewCredentials;
}

/**
 * Development mode's client, kept across restarts (adapter): `<dataDir>/dev-client.json`,
 * in the clients-file format (only the API key's SHA-256, and the signing secret the
 * server needs), mode 0600. Created on first start; reused afterwards, so the `export`
 * lines printed then keep working. Read and written through src/secret-file/ (temp file
 * and link: a crash never leaves half a file, and of two starts racing, the second uses
 * the first one's client). A file that is readable by group or others, a symbolic link or
 * invalid stops start-up with one line saying what to do.
 */
export async function loadOrCreateDevClient(dataDir: string): Promise<DevClient> {
  const file = path.join(dataDir, DEV_CLIENT_FILE);
  try {
    return await loadDevClient(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const dev = generateDevClient();
  const doc: ClientsFile = { clients: [dev.entry] };
  let created: boolean;
  try {
    created = await createPrivateFile(file, JSON.stringify(doc, null, 2) + '\n');
  } catch (err) {
    if (err instanceof PrivateFileError)
      throw new ConfigError(`GATEWAY_DATA_DIR: cannot create ${file}`);
    throw err;
  }
  if (!created) return loadDevClient(file);
  return {
    id: dev.id,
    file,
    registry: buildClientRegistry({ clients: [dev.entry] }, { production: false }),
    created: dev,
  };
}

async function loadDevClient(file: string): Promise<DevClient> {
  const fix = `; delete it and restart to get a new development client`;
  let text: string;
  try {
    text = await readPrivateFile(file);
  } catch (err) {
    if (!(err instanceof PrivateFileError)) throw err;
    throw new ConfigError(err.reason === 'mode' ? err.message : `${err.message}${fix}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON${fix}`);
  }
  let registry: ClientRegistry;
  try {
    registry = buildClientRegistry(raw, { production: false });
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}${fix}`);
  }
  const clients = (raw as ClientsFile).clients;
  const id = clients[0]?.id;
  if (clients.length !== 1 || id === undefined || !id.startsWith('dev-'))
    throw new ConfigError(`${file} must hold exactly one dev- client${fix}`);
  return { id, file, registry };
}
