import { randomBytes, sha256Hex, toHex } from '../crypto/index.js';
import { SCOPES, type ClientsFile } from './clients.js';

/** Fresh credentials for one client: the API key and secret are shown once, only hashes are kept. */
export interface NewCredentials {
  readonly id: string;
  readonly apiKey: string;
  readonly signingSecret: string;
  readonly entry: ClientsFile['clients'][number];
}

/** Generates credentials (256-bit API key and secret) for a client id and scope list. */
export function generateCredentials(
  id: string,
  scopes: ClientsFile['clients'][number]['scopes'],
): NewCredentials {
  const apiKey = `cgk_${toHex(randomBytes(32))}`;
  const signingSecret = `cgs_${toHex(randomBytes(32))}`;
  return {
    id,
    apiKey,
    signingSecret,
    entry: { id, apiKeySha256: sha256Hex(apiKey), signingSecrets: [signingSecret], scopes },
  };
}

/** The development-mode client: id `dev-<random>`, every scope. Only used when no clients file is set. */
export function generateDevClient(): NewCredentials {
  return generateCredentials(`dev-${toHex(randomBytes(4))}`, [...SCOPES]);
}
