/**
 * `codex-gateway/client`: sign a request, send an event, wait for a deploy, fetch its
 * release attestation and verify it offline — what the `codex-gateway` CLI uses.
 *
 * ```js
 * import { GatewayClient, fetchVerifiedAttestation } from 'codex-gateway/client';
 * const gw = new GatewayClient({ url, apiKey, signingSecret });
 * const sent = await gw.sendEvent({ action: 'deploy', target, steps: [], deploy: { environment, artifact } });
 * const waited = await gw.waitForDeploy(sent.body.deploy.id, { timeoutSeconds: 900 });
 * ```
 */
import {
  verifyReleaseAttestation,
  type ReleaseVerification,
  type VerifyReleaseAttestationOptions,
} from '../verify/index.js';
import type { GatewayClient } from './gateway-client.js';

export {
  GatewayClient,
  GatewayRequestError,
  MAX_WAIT_SECONDS,
  type DeliveryRow,
  type DeployState,
  type GatewayAnswer,
  type GatewayClientOptions,
  type WaitOutcome,
} from './gateway-client.js';
export { signRequest, type SignRequestInput } from '../signing/sign-request.js';

/**
 * Fetches the attestation of deploy `id` and verifies it offline against the caller's
 * trusted vkey and policy (the gateway's answer is not trusted for anything).
 */
export async function fetchVerifiedAttestation(
  client: GatewayClient,
  id: string,
  trust: Omit<VerifyReleaseAttestationOptions, 'attestation'>,
): Promise<{ attestation: string; result: ReleaseVerification }> {
  const attestation = await client.attestation(id);
  return { attestation, result: verifyReleaseAttestation({ ...trust, attestation }) };
}
