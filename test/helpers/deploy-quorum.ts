import { generateEd25519KeyPair, signEd25519, toHex } from '../../src/crypto/index.js';
import type { NewCredentials } from '../../src/config/dev-client.js';
import type { GatewayProcess } from './gateway-process.js';

/** The approvers of {@link deployQuorum}. */
export const APPROVERS = ['alice', 'bob', 'carol'] as const;
export type Approver = (typeof APPROVERS)[number];

/** A 2-of-3 deploy quorum for real gateway processes (test/release, test/quorum e2e tests). */
export interface DeployQuorum {
  /** Each approver's Ed25519 key pair (fresh for every quorum). */
  readonly keys: ReadonlyMap<Approver, { secretKey: Uint8Array; publicKey: Uint8Array }>;
  /** A policy letting `client` build and deploy, deploys needing 2 of the 3 approvers. */
  readonly policy: {
    readonly version: 1;
    readonly clients: Record<string, { readonly actions: string[] }>;
    /** Approver name → Ed25519 public key (64 hex). */
    readonly approvers: Record<string, string>;
    readonly quorum: {
      readonly deploy: { threshold: number; approvers: string[]; ttlSeconds: number };
    };
  };
  /** `POST /v1/deploys/:id/approvals` on `g` as `client`, signing `deploy.message` as `name`. */
  approve(
    g: GatewayProcess,
    deploy: { readonly id: string; readonly message: string },
    name: Approver,
  ): Promise<Response>;
}

/** Keys, policy and an approval sender for `client`'s deploys. */
export function deployQuorum(client: NewCredentials): DeployQuorum {
  const keys = new Map(APPROVERS.map((n) => [n, generateEd25519KeyPair()] as const));
  const policy = {
    version: 1 as const,
    clients: { [client.id]: { actions: ['build', 'deploy'] } },
    approvers: Object.fromEntries([...keys].map(([n, k]) => [n, toHex(k.publicKey)])),
    quorum: { deploy: { threshold: 2, approvers: [...APPROVERS], ttlSeconds: 900 } },
  };
  const enc = new TextEncoder();
  return {
    keys,
    policy,
    approve: (g, deploy, name) =>
      fetch(`${g.url}/v1/deploys/${deploy.id}/approvals`, {
        method: 'POST',
        headers: { 'x-api-key': client.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          approver: name,
          signature: toHex(signEd25519(enc.encode(deploy.message), keys.get(name)!.secretKey)),
        }),
      }),
  };
}
