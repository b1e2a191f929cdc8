import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { independentVerify } from './independent-release-verifier.js';
import { releaseFixture, type ReleaseFixture } from './release-fixture.js';
import { toHex } from '../../src/crypto/index.js';

let fx: ReleaseFixture;
beforeAll(async () => {
  fx = await releaseFixture();
});
afterAll(() => fx.close());

describe('independent §10 verifier (node:crypto, no project code)', () => {
  const input = () => ({
    envelope: fx.attestation,
    artifact: fx.artifact,
    vkey: fx.vkey,
    quorum: { action: 'deploy', threshold: 2, approvers: ['alice', 'bob', 'carol'] },
    keys: Object.fromEntries([...fx.keys].map(([n, k]) => [n, toHex(k.publicKey)])),
  });

  it('accepts an attestation built by the project', () => {
    expect(independentVerify(input())).toBe('ok');
  });

  it('is not a check that cannot fail: it refuses another artifact and a higher threshold', () => {
    expect(independentVerify({ ...input(), artifact: `sha256:${'0'.repeat(64)}` })).toBe(
      'check 2',
    );
    expect(
      independentVerify({
        ...input(),
        quorum: { action: 'deploy', threshold: 3, approvers: ['alice', 'bob', 'carol'] },
      }),
    ).toBe('check 4');
  });
});
