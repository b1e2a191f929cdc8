import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { generateEd25519KeyPair, sha256Hex, toHex } from '../../src/crypto/index.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '../../src/provenance/dsse.js';
import { canonicalBytes } from '../../src/audit/jcs.js';
import { releaseFixture, releasePolicyDoc, type ReleaseFixture } from './release-fixture.js';

let fx: ReleaseFixture;
let other: ReleaseFixture;

beforeAll(async () => {
  [fx, other] = await Promise.all([releaseFixture(), releaseFixture()]);
});
afterAll(async () => {
  await Promise.all([fx.close(), other.close()]);
});

let n = 0;
function file(content: string | Uint8Array): string {
  const p = path.join(fx.dir, `input-${n++}`);
  writeFileSync(p, content);
  return p;
}

async function verify(
  overrides: {
    attestation?: string | Uint8Array;
    artifact?: string;
    vkey?: string;
    policy?: string;
    extra?: string[];
  } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    [
      'release',
      'verify',
      '--attestation',
      file(overrides.attestation ?? fx.attestation),
      '--artifact',
      overrides.artifact ?? fx.artifact,
      '--vkey',
      overrides.vkey ?? fx.vkey,
      '--policy',
      file(overrides.policy ?? fx.policyText),
      ...(overrides.extra ?? []),
    ],
    { out: (t) => out.push(t), err: (t) => err.push(t) },
  );
  return { code, out: out.join(''), err: err.join('') };
}

/** A deep copy of the fixture's statement, changed by `edit`, re-signed with the LOG key. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at any field
type Loose = any;

function resigned(edit: (s: Loose) => void): string {
  const copy = JSON.parse(JSON.stringify(fx.statement)) as Loose;
  edit(copy);
  return fx.resign(copy);
}

function expectRefused(
  r: { code: number; out: string; err: string },
  check: number,
  pattern: RegExp,
): void {
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^codex-gateway release verify: REFUSED: check ${check} \\(`));
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('codex-gateway release verify', () => {
  it('accepts the genuine attestation and names what it verified', async () => {
    const r = await verify({ extra: ['--environment', 'prod', '--target', 'acme/web'] });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verified: deploy [0-9a-f]{32} deploy acme\/web environment prod/);
    expect(r.out).toContain('approved by alice, bob (2 of 2 required)');
  });

  describe('refuses, naming the first failed check', () => {
    it('a changed artifact (2)', async () => {
      expectRefused(
        await verify({ artifact: `sha256:${sha256Hex('other')}` }),
        2,
        /subject digest is not/,
      );
    });

    it('a changed environment (2)', async () => {
      expectRefused(
        await verify({ extra: ['--environment', 'staging'] }),
        2,
        /environment is prod, not staging/,
      );
    });

    it('a changed target (2)', async () => {
      expectRefused(await verify({ extra: ['--target', 'acme/api'] }), 2, /target is acme\/web/);
    });

    it('a payload re-signed with another key (1)', async () => {
      const forged = signEnvelope(
        IN_TOTO_PAYLOAD_TYPE,
        canonicalBytes(fx.statement),
        generateEd25519KeyPair().secretKey,
        fx.verifier.keyId.reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
      );
      expectRefused(await verify({ attestation: JSON.stringify(forged) }), 1, /no signature verifies/);
    });

    it('a payload changed after signing (1)', async () => {
      const env = JSON.parse(fx.attestation);
      const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString());
      statement.predicate.deploy.environment = 'staging';
      env.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      expectRefused(await verify({ attestation: JSON.stringify(env) }), 1, /no signature verifies/);
    });

    it('a trusted roster where one approver has another key (4)', async () => {
      const keys = new Map(fx.keys);
      keys.set('bob', generateEd25519KeyPair());
      expectRefused(
        await verify({ policy: JSON.stringify(releasePolicyDoc(keys)) }),
        4,
        /2 distinct trusted approvers required for deploy, 1 valid \(alice\); not counted: bob \(signature does not verify under the trusted policy key\)/,
      );
    });

    it('a trusted policy whose threshold is higher (4)', async () => {
      expectRefused(
        await verify({ policy: JSON.stringify(releasePolicyDoc(fx.keys, { threshold: 3 })) }),
        4,
        /3 distinct trusted approvers required/,
      );
    });

    it('the vkey of another log (1)', async () => {
      expectRefused(await verify({ vkey: other.vkey }), 1, /no signature verifies/);
    });

    it('an envelope that is not JSON (1)', async () => {
      expectRefused(await verify({ attestation: '{"payloadType": ' }), 1, /not a UTF-8 JSON/);
    });

    it('an envelope without signatures (1)', async () => {
      const env = { ...JSON.parse(fx.attestation), signatures: [] };
      expectRefused(await verify({ attestation: JSON.stringify(env) }), 1, /no signatures/);
    });

    it('a payload that is not canonical base64 (1)', async () => {
      const env = { ...JSON.parse(fx.attestation), payload: '!!not base64' };
      expectRefused(await verify({ attestation: JSON.stringify(env) }), 1, /canonical base64/);
    });

    it('an envelope that is a JSON array (1)', async () => {
      expectRefused(await verify({ attestation: '[1,2]' }), 1, /not a JSON object/);
    });

    it('an envelope with a duplicate key (1)', async () => {
      const twice = fx.attestation.replace('{', '{"payloadType":"x",');
      expectRefused(await verify({ attestation: twice }), 1, /duplicate key \(payloadType\)/);
    });

    it('a signed payload with a duplicate key, even under the log key (1)', async () => {
      const text = new TextDecoder().decode(canonicalBytes(fx.statement));
      const payload = new TextEncoder().encode(text.replace('{', '{"_type":"x",'));
      const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, fx.logKey.secretKey);
      expectRefused(
        await verify({ attestation: JSON.stringify(env) }),
        1,
        /signed payload has a duplicate key \(_type\)/,
      );
    });

    it('another payload type (1)', async () => {
      const env = signEnvelope(
        'application/json',
        canonicalBytes(fx.statement),
        fx.logKey.secretKey,
      );
      expectRefused(
        await verify({ attestation: JSON.stringify(env) }),
        1,
        /payloadType must be application\/vnd.in-toto\+json/,
      );
    });

    it('a signed payload that is not a release statement (1)', async () => {
      expectRefused(
        await verify({ attestation: resigned((s) => (s.predicateType = 'urn:other')) }),
        1,
        /not a codex-gateway release statement \(predicateType/,
      );
    });

    it('an oversized file (1)', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
      expectRefused(await verify({ attestation: big }), 1, /larger than 262144 bytes/);
    });

    it('duplicate approvers in the predicate, counted once (4)', async () => {
      const dup = resigned((s) => {
        s.predicate.approvals = [fx.vote('alice'), fx.vote('alice')];
      });
      expectRefused(
        await verify({ attestation: dup }),
        4,
        /1 valid \(alice\); not counted: alice \(counted once\)/,
      );
    });

    it('approvers who are not in the trusted policy (4)', async () => {
      const mallory = generateEd25519KeyPair();
      const forged = resigned((s) => {
        s.predicate.approvals = [
          fx.vote('alice'),
          { approver: 'mallory', publicKey: toHex(mallory.publicKey), signature: 'ab'.repeat(64) },
        ];
      });
      expectRefused(
        await verify({ attestation: forged }),
        4,
        /not counted: mallory \(not in the trusted quorum\)/,
      );
    });

    it('a trusted policy whose quorum is for another action (4)', async () => {
      expectRefused(
        await verify({
          policy: JSON.stringify(releasePolicyDoc(fx.keys, { action: 'release' })),
        }),
        4,
        /the trusted policy sets no quorum for action deploy/,
      );
    });

    it('a message that is not the text of the deploy fields (3)', async () => {
      expectRefused(
        await verify({
          attestation: resigned((s) => {
            s.predicate.deploy.message = s.predicate.deploy.message.replace('prod', 'stage');
          }),
        }),
        3,
        /message is not the codex-approval\/v1 text/,
      );
    });

    it('a checkpoint from another origin (5)', async () => {
      const forged = resigned((s) => {
        s.predicate.log.checkpoint = other.statement.predicate.log.checkpoint;
      });
      expectRefused(await verify({ attestation: forged }), 5, /checkpoint is not signed by the vkey/);
    });

    it('a leaf that is the decision of another deploy (5)', async () => {
      const forged = resigned((s) => {
        s.predicate.log.leaf = other.statement.predicate.log.leaf;
      });
      expectRefused(await verify({ attestation: forged }), 5, /another deploy/);
    });

    it('an inclusion proof that does not hold (5)', async () => {
      const forged = resigned((s) => {
        s.predicate.log.proof = [...s.predicate.log.proof].reverse();
        if (s.predicate.log.proof.length < 2) s.predicate.log.proof = ['00'.repeat(32)];
      });
      expectRefused(await verify({ attestation: forged }), 5, /inclusion proof does not hold/);
    });
  });

  describe('usage', () => {
    it('exits 2 without the required options', async () => {
      const err: string[] = [];
      const code = await runCli(['release', 'verify', '--artifact', fx.artifact], {
        out: () => undefined,
        err: (t) => err.push(t),
      });
      expect(code).toBe(2);
      expect(err.join('')).toContain("run 'codex-gateway release verify --help'");
    });

    it('exits 2 on a malformed artifact, vkey or policy', async () => {
      expect((await verify({ artifact: 'sha256:XYZ' })).code).toBe(2);
      expect((await verify({ vkey: 'not-a-vkey' })).code).toBe(2);
      const bad = await verify({ policy: '{"version":2}' });
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--policy .*: policy: /);
    });
  });
});
