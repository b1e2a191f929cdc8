import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../src/json/duplicate-keys.js';
import { openPolicy, testClient } from '../helpers/credentials.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

/**
 * docs/protocol.md §16 (§3): a duplicate object key at any depth, metadata included, is 400
 * invalid_body — through the real server socket of a real gateway process. Before the fix
 * `{"action":"deploy","action":"build"}` was judged as the last key (JSON.parse) while a
 * first-key-wins reader of the audit log saw a deploy.
 */
const steps = '[{"name":"lint","run":"npm run lint"}]';
const DUPLICATES: readonly (readonly [string, string])[] = [
  ['top level, different values', `{"action":"deploy","action":"build","target":"a/b","steps":[]}`],
  ['top level, equal values', `{"action":"build","action":"build","target":"a/b","steps":[]}`],
  [
    'escaped spelling of the same key',
    `{"action":"build","\\u0061ction":"test","target":"a/b","steps":[]}`,
  ],
  [
    'inside a step',
    `{"action":"build","target":"a/b","steps":[{"name":"a","run":"rm -rf /","run":"true"}]}`,
  ],
  ['metadata', `{"action":"build","target":"a/b","steps":${steps},"metadata":{"k":1,"k":2}}`],
  [
    'deep in metadata',
    `{"action":"build","target":"a/b","steps":${steps},"metadata":{"a":{"b":[{"c":{"x":1,"y":2,"x":3}}]}}}`,
  ],
];

describe('duplicate JSON keys through the real server', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    const client = testClient();
    gw = await startGateway({ client, policy: openPolicy([client.id]) });
  }, 30_000);
  afterAll(async () => {
    await gw.stop();
    rmSync(gw.dir, { recursive: true, force: true });
  });

  for (const [label, body] of DUPLICATES)
    it(`refuses a duplicate key (${label}) with 400 invalid_body`, async () => {
      const res = await gw.post('/v1/events', body);
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe('invalid_body');
      expect(problem.detail).toMatch(/duplicate object key/);
    });

  it('still accepts the same key in sibling objects and a body without duplicates', async () => {
    const body = `{"action":"build","target":"a/b","steps":[{"name":"a","run":"x"},{"name":"b","run":"y"}],"metadata":{"a":{"k":1},"b":{"k":1}}}`;
    const res = await gw.post('/v1/events', body);
    expect(res.status).toBe(200);
  });

  it('refuses a body nested deeper than the bound without a crash', async () => {
    const deep = `{"action":"build","target":"a/b","steps":[],"metadata":{"m":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const res = await gw.post('/v1/events', deep);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_body');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

describe('findDuplicateKey', () => {
  it('names the path of the repeated key and ignores keys of sibling objects', () => {
    expect(findDuplicateKey('{"a":{"b":1,"c":[{"d":1,"d":2}]}}')).toBe('a.c.0.d');
    expect(findDuplicateKey('{"a":{"k":1},"b":{"k":1},"k":[{"k":1},{"k":2}]}')).toBeUndefined();
    expect(findDuplicateKey('[{"x":1},{"x":1,"x":1}]')).toBe('1.x');
  });
});
