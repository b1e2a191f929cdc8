import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeReleaseFailure, verifyReleaseAttestation } from '../../src/verify/index.js';
import { makeSkKey, sshsigArmor } from '../helpers/ssh-signatures.js';
import { releaseFixture, releasePolicyDoc, type ReleaseFixture } from './release-fixture.js';

let fx: ReleaseFixture;
beforeAll(async () => {
  fx = await releaseFixture();
});
afterAll(() => fx.close());

describe('release verification with SSH approvals (docs/protocol.md §12)', () => {
  const carol = makeSkKey();
  const policyWithSkCarol = () => {
    const doc = releasePolicyDoc(fx.keys) as { approvers: Record<string, string> };
    doc.approvers['carol'] = carol.line;
    return JSON.stringify(doc);
  };
  const withSshVote = (flags = 0x01): string => {
    const statement = JSON.parse(JSON.stringify(fx.statement));
    statement.predicate.approvals = [
      fx.vote('alice'),
      {
        approver: 'carol',
        publicKey: carol.line,
        sshSignature: sshsigArmor(fx.deploy.message, carol.secretKey, carol.key, { flags }),
      },
    ];
    return fx.resign(statement);
  };

  it('counts an sshSignature vote checked under the trusted policy key', () => {
    const result = verifyReleaseAttestation({
      attestation: withSshVote(),
      artifact: fx.artifact,
      vkey: fx.vkey,
      policy: policyWithSkCarol(),
    });
    expect(result.ok ? result.approvers : describeReleaseFailure(result)).toEqual([
      'alice',
      'carol',
    ]);
  });

  it('does not count it without user presence, or when the policy lists another key', () => {
    const noPresence = verifyReleaseAttestation({
      attestation: withSshVote(0x00),
      artifact: fx.artifact,
      vkey: fx.vkey,
      policy: policyWithSkCarol(),
    });
    expect(noPresence.ok ? 'ok' : describeReleaseFailure(noPresence)).toMatch(
      /check 4 \(quorum\) failed: .*carol \(SSH signature does not verify/,
    );
    const otherKey = verifyReleaseAttestation({
      attestation: withSshVote(),
      artifact: fx.artifact,
      vkey: fx.vkey,
      policy: fx.policyText,
    });
    expect(otherKey.ok ? 'ok' : describeReleaseFailure(otherKey)).toMatch(/check 4 \(quorum\)/);
  });
});
