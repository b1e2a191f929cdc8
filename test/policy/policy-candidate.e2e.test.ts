import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writePolicyFile } from '../helpers/credentials.js';
import { buildEvent, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { until } from '../helpers/until.js';

/**
 * A candidate policy in the shadow (GATEWAY_POLICY_CANDIDATE_FILE, docs/protocol.md §13), on a real
 * server: it answers every event after the active policy and never changes an answer;
 * disagreements are counted (GET /v1/policy, /metrics) and logged with both verdicts and
 * the decision id; a broken or too costly candidate keeps the last good candidate and
 * never touches the active policy.
 */

const active = { version: 1, clients: { 'ci-main': { actions: ['build'] } } };
/** Denies more: every npm command. */
const stricter = {
  ...active,
  deny: { patterns: [{ name: 'no_npm', regex: '\\bnpm\\b' }] },
};

interface PolicyView {
  revision?: string;
  lastError?: string;
  candidate?: {
    revision?: string;
    lastError?: string;
    disagreements: number;
    compared: number;
  };
}

describe('candidate policy in the shadow (real server)', () => {
  const dir = tempDir('codex-candidate-');
  const candidateFile = writePolicyFile(dir, stricter, 'candidate.json');
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({
      dir,
      policy: active,
      env: { GATEWAY_POLICY_CANDIDATE_FILE: candidateFile },
      startTimeoutMs: 30_000,
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });
  const view = async (): Promise<PolicyView> =>
    (await gw.get('/v1/policy')).json() as Promise<PolicyView>;
  const disagreementsMetric = async (): Promise<string | undefined> =>
    (await (await gw.get('/metrics')).text())
      .split('\n')
      .find((l) => l.startsWith('gateway_policy_candidate_disagreements_total '));

  it('counts and logs disagreements of a stricter candidate while every answer stays the same', async () => {
    const before = await view();
    expect(before.candidate).toEqual({
      revision: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      activatedAt: expect.any(String),
      lastAttemptAt: expect.any(String),
      disagreements: 0,
      compared: 0,
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.post('/v1/events', buildEvent); // runs `npm run lint`
      expect(res.status).toBe(200);
      const body = (await res.json()) as { decision: string; id: string; policy: string };
      expect(body.decision).toBe('allow');
      expect(body.policy).toBe(before.revision);
      ids.push(body.id);
    }
    const agreed = await gw.post('/v1/events', {
      ...buildEvent,
      steps: [{ name: 'l', run: 'ls' }],
    });
    expect(agreed.status).toBe(200);

    const after = await view();
    expect(after.candidate).toMatchObject({
      revision: before.candidate!.revision,
      disagreements: 3,
      compared: 4,
    });
    expect(after.revision).toBe(before.revision);
    expect(await disagreementsMetric()).toBe('gateway_policy_candidate_disagreements_total 3');

    // One warning per disagreement, naming the decision and both verdicts.
    await gw.logged();
    const logged = gw.output
      .filter((l) => l.includes('policy candidate disagrees'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.decision)).toEqual(ids);
    expect(logged[0]).toMatchObject({
      client: 'ci-main',
      action: 'build',
      active: { decision: 'allow', reasons: [], policy: before.revision },
      candidate: {
        decision: 'deny',
        reasons: ['deny_pattern:no_npm'],
        policy: before.candidate!.revision,
      },
    });

    // The what-if route shows both verdicts.
    const whatIf = await fetch(`${gw.url}/v1/policy/evaluate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': gw.client.apiKey },
      body: JSON.stringify({ client: 'ci-main', event: buildEvent }),
    });
    expect(await whatIf.json()).toEqual({
      decision: 'allow',
      reasons: [],
      policy: before.revision,
      candidate: {
        decision: 'deny',
        reasons: ['deny_pattern:no_npm'],
        policy: before.candidate!.revision,
      },
    });
  }, 60_000);

  it.each([
    ['not JSON', '{ "version": 1,'],
    // A pattern whose automaton would be too large: refused like an active policy would be,
    // so a candidate can never cost the request path more than the load-time bound.
    [
      'too costly to evaluate',
      JSON.stringify({ ...active, deny: { patterns: [{ name: 'wide', regex: 'a.{40}b' }] } }),
    ],
  ])(
    'keeps the last good candidate when the file becomes %s, and never touches the active policy',
    async (_what, text) => {
      const before = await view();
      writeFileSync(candidateFile, text);
      const after = await until(view, (v) => v.candidate?.lastError !== undefined);
      expect(after.candidate!.lastError).toBeDefined();
      expect(after.candidate!.revision).toBe(before.candidate!.revision);
      expect(after.revision).toBe(before.revision);
      expect(after.lastError).toBeUndefined();
      // Still the active answer, still compared with the last good candidate.
      expect((await gw.post('/v1/events', buildEvent)).status).toBe(200);
      expect((await view()).candidate!.disagreements).toBe(before.candidate!.disagreements + 1);
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      writePolicyFile(dir, stricter, 'candidate.json'); // restore for the next case
      await until(view, (v) => v.candidate?.lastError === undefined);
    },
    60_000,
  );

  it('counts per candidate revision: a candidate equal to the active policy agrees', async () => {
    writePolicyFile(dir, { ...active, maxSteps: 12 }, 'candidate.json');
    const loaded = await until(
      view,
      (v) =>
        v.candidate?.revision !== undefined &&
        v.candidate.compared === 0 &&
        v.candidate.lastError === undefined &&
        v.candidate.disagreements === 0,
    );
    expect(loaded.candidate!.disagreements).toBe(0);
    expect((await gw.post('/v1/events', buildEvent)).status).toBe(200);
    expect((await view()).candidate).toMatchObject({ disagreements: 0, compared: 1 });
    // The metric is the total since start: it never goes down.
    expect(await disagreementsMetric()).toBe('gateway_policy_candidate_disagreements_total 5');
  }, 60_000);
});

describe('candidate file missing at start', () => {
  it('starts ready, reports the candidate error, and answers with the active policy', async () => {
    const dir = tempDir('codex-candidate-missing-');
    const gw = await startGateway({
      dir,
      policy: active,
      env: { GATEWAY_POLICY_CANDIDATE_FILE: path.join(dir, 'absent.json') },
      startTimeoutMs: 30_000,
    });
    try {
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      const v = (await (await gw.get('/v1/policy')).json()) as PolicyView;
      expect(v.revision).toMatch(/^sha256:/);
      expect(v.lastError).toBeUndefined();
      expect(v.candidate).toMatchObject({ disagreements: 0, compared: 0 });
      expect(v.candidate!.revision).toBeUndefined();
      expect(v.candidate!.lastError).toMatch(/ENOENT/);
      expect((await gw.post('/v1/events', buildEvent)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
