import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/signing/index.js';
import { createTestApp } from '../helpers/test-app.js';

const nonceArb = fc.stringMatching(/^[A-Za-z0-9_-]{16,48}$/);
let run = 0;
const eventArb = fc.record({
  action: fc.constantFrom('build', 'test', 'release'),
  target: fc.stringMatching(/^[A-Za-z0-9._/@:-]{1,40}$/),
  steps: fc.array(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      run: fc.string({ maxLength: 60 }),
    }),
    { maxLength: 3 },
  ),
  metadata: fc.dictionary(
    fc
      .string({ minLength: 1, maxLength: 8 })
      .filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)),
    fc.string({ maxLength: 20 }),
    { maxKeys: 3 },
  ),
});

describe('signed intake (property)', () => {
  it('accepts a request signed by sign() exactly once and refuses any one-byte change', async () => {
    const t = await createTestApp();
    const now = Math.floor(t.clock.ms / 1000);
    await fc.assert(
      fc.asyncProperty(
        eventArb,
        nonceArb,
        fc.integer({ min: -299, max: 299 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (event, nonceBase, skew, pos, xor) => {
          // fast-check may generate (or shrink to) the same nonce twice: keep each run's unique.
          const nonce = `${nonceBase}-${run++}`;
          const body = Buffer.from(JSON.stringify(event), 'utf8');
          const timestamp = now + skew;
          // A one-byte change of the body, re-sent with the ORIGINAL headers, must be refused...
          const headers = signRequest({
            apiKey: t.client.apiKey,
            secret: t.client.signingSecret,
            method: 'POST',
            target: '/v1/events',
            body,
            timestamp,
            nonce,
          });
          const mutated = Buffer.from(body);
          const i = pos % mutated.length;
          mutated[i] = mutated[i]! ^ xor;
          const send = (b: Uint8Array, h: Record<string, string>) =>
            t.app.request('/v1/events', {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...h },
              body: b,
            });
          const tampered = await send(mutated, headers);
          expect(tampered.status).toBeGreaterThanOrEqual(400);
          expect(tampered.status).toBeLessThan(500);
          // ...so must a one-byte change of the signature...
          const sig = headers['x-codex-sig']!;
          const j = 3 + (pos % 64);
          const flipped = sig.slice(0, j) + (sig[j] === '0' ? '1' : '0') + sig.slice(j + 1);
          expect((await send(body, { ...headers, 'x-codex-sig': flipped })).status).toBe(401);
          // ...while the genuine request is accepted once, then refused as a replay.
          expect((await send(body, headers)).status).toBe(200);
          expect((await send(body, headers)).status).toBe(409);
        },
      ),
      { numRuns: 150 },
    );
  });
});
