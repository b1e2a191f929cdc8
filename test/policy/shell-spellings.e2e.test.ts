import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellView } from '../../src/policy/shell-view.js';
import { testClient } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { NEAR_MISSES } from './adversarial.js';
import { shippedPolicyJson } from './fixtures.js';

/**
 * Issue 13 point 4 through a real gateway process running the shipped policy: common shell
 * spellings of what the shipped rules claim to catch are denied (matched in the shell-aware
 * view of `run` strings), and the near-misses stay allowed.
 */
const SHELL_SPELLINGS: readonly (readonly [string, string])[] = JSON.parse(
  readFileSync(new URL('./shell-spellings.json', import.meta.url), 'utf8'),
) as [string, string][];

describe('shell spellings of the shipped deny rules, through the real server', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ client: testClient(), policy: shippedPolicyJson() });
  }, 30_000);
  afterAll(async () => {
    await gw.stop();
    rmSync(gw.dir, { recursive: true, force: true });
  });

  const send = (run: string): Promise<Response> =>
    gw.post('/v1/events', { action: 'build', target: 'acme/web', steps: [{ name: 'x', run }] });

  it.each(SHELL_SPELLINGS)('denies %j (%s)', async (run, rule) => {
    const res = await send(run);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { reasons: string[] }).reasons).toContain(`deny_pattern:${rule}`);
  });

  it.each(NEAR_MISSES)('still allows the near-miss %j', async (run) => {
    expect((await send(run)).status).toBe(200);
  });
});

describe('shellView', () => {
  it.each([
    [`c''url`, 'curl'],
    ['c\\url', 'curl'],
    [`"/"*`, '/*'],
    ['rm${ifs}-rf$ifs/', 'rm -rf /'],
    ['c$@url', 'curl'],
    ['//usr/./bin/../../*', '/*'],
    ['/..', '/'],
    ['./x/../y', './y'],
    ['of=/dev/./sda', 'of=/dev/sda'],
    [`$'a'b`, 'ab'],
  ])('reads %j as %j', (input, view) => {
    expect(shellView(input)).toBe(view);
  });
});
