import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes, toHex } from '../crypto/index.js';
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
 * lines printed then keep working. The file is written in full to a private temp file
 * and linked into place: a crash never leaves half a file, and of two starts racing, the
 * second uses the first one's client. A file that is readable by group or others or
 * invalid stops start-up with one line saying to delete it.
 */
export async function loadOrCreateDevClient(dataDir: string): Promise<DevClient> {
  const file = path.join(dataDir, DEV_CLIENT_FILE);
  try {
    return await loadDevClient(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const dev = generateDevClient();
  const tmp = `${file}.tmp-${process.pid}-${toHex(randomBytes(4))}`;
  let fh;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    throw new ConfigError(`GATEWAY_DATA_DIR: cannot create ${file}`);
  }
  try {
    await fh.chmod(0o600);
    const doc: ClientsFile = { clients: [dev.entry] };
    await fh.writeFile(JSON.stringify(doc, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadDevClient(file);
    throw new ConfigError(`GATEWAY_DATA_DIR: cannot create ${file}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return {
    id: dev.id,
    file,
    registry: buildClientRegistry({ clients: [dev.entry] }, { production: false }),
    created: dev,
  };
}

async function loadDevClient(file: string): Promise<DevClient> {
  const fh = await open(file, 'r');
  const fix = `; delete it and restart to get a new development client`;
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new ConfigError(`${file} is not a file${fix}`);
    if ((stat.mode & 0o077) !== 0)
      throw new ConfigError(
        `${file} is readable by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    let raw: unknown;
    try {
      raw = JSON.parse(await fh.readFile('utf8'));
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
  } finally {
    await fh.close();
  }
}
