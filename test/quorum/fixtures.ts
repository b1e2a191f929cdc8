import { generateEd25519KeyPair, sha256Hex, toHex } from '../../src/crypto/index.js';
import { parseApproverKey } from '../../src/policy/approver-key.js';
import type { ActivePolicy, QuorumRule } from '../../src/policy/active-policy.js';
import type { GatewayEvent } from '../../src/events/event-schema.js';
import type { ApprovalQuorum, SignatureVote } from '../../src/quorum/pending-deploy.js';

/** A real Ed25519 key pair per name. */
export function approverKeys(
  names: readonly string[],
): Map<string, { secretKey: Uint8Array; publicKey: Uint8Array }> {
  return new Map(names.map((n) => [n, generateEd25519KeyPair()]));
}

/**
 * A minimal ActivePolicy for the pure quorum tests: every event allowed, one quorum rule
 * for `deploy`. (HTTP tests use the real policy engine through the app.)
 */
export function quorumPolicy(
  rule: QuorumRule,
  keys: ReadonlyMap<string, { publicKey: Uint8Array }>,
  revision = `sha256:${sha256Hex('policy-1')}`,
): ActivePolicy {
  return {
    revision,
    activatedAt: new Date(0).toISOString(),
    ratePerMinute: () => undefined,
    evaluate: () => ({ decision: 'allow', reasons: [] }),
    quorumFor: (action) => (action === 'deploy' ? rule : undefined),
    approverKey: (name) => keys.get(name)?.publicKey,
    approver: (name) => {
      const k = keys.get(name);
      const parsed = k === undefined ? undefined : parseApproverKey(toHex(k.publicKey));
      return parsed?.ok === true ? parsed.key : undefined;
    },
    approverNames: [...keys.keys()],
  };
}

export const deployEvent: GatewayEvent = {
  action: 'deploy',
  target: 'acme/web',
  steps: [{ name: 'ship', run: './ship.sh' }],
  deploy: { environment: 'prod', artifact: `sha256:${'ab'.repeat(32)}` },
};

export const requestDigest = `sha256:${sha256Hex('{"raw":"body"}')}`;

/** A stand-in public key for `name` (64 hex) in store tests, where no signature is verified. */
export function fakeKey(name: string, generation = 1): string {
  return sha256Hex(`key:${generation}:${name}`);
}

/** A vote of `name` under `publicKey` (default: its fake key), for store tests. */
export function testVote(name: string, publicKey = fakeKey(name)): SignatureVote {
  return { approver: name, publicKey, signature: 'ab'.repeat(64) };
}

/** A quorum over `approvers` whose current keys are their fake keys (or `keys` overrides). */
export function quorumOf(
  threshold: number,
  approvers: readonly string[],
  keys: Readonly<Record<string, string>> = {},
): ApprovalQuorum {
  return {
    threshold,
    approvers: [...approvers],
    keys: Object.fromEntries(approvers.map((n) => [n, keys[n] ?? fakeKey(n)])),
  };
}

/** A release claim with a fresh token, live for a minute after `nowMs`. */
export function testClaim(nowMs: number, token = `t${Math.random().toString(16).slice(2)}`) {
  return { token, untilMs: nowMs + 60_000 };
}
