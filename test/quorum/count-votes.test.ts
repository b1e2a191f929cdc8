import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countedApprovers, quorumReached } from '../../src/quorum/count-votes.js';

const quorum = { threshold: 2, approvers: ['alice', 'bob', 'carol'] };

describe('countedApprovers', () => {
  it('gives each listed approver at most one vote', () => {
    expect(countedApprovers(['alice', 'alice', 'alice'], quorum)).toEqual(['alice']);
    expect(quorumReached(['alice', 'alice'], quorum)).toBe(false);
  });

  it('ignores names outside the quorum list', () => {
    expect(countedApprovers(['mallory', 'alice', 'eve'], quorum)).toEqual(['alice']);
    expect(quorumReached(['mallory', 'alice', 'eve'], quorum)).toBe(false);
  });

  it('reaches the threshold with two distinct listed approvers', () => {
    expect(quorumReached(['bob', 'carol'], quorum)).toBe(true);
  });

  it('stops counting an approver the current list no longer holds', () => {
    expect(quorumReached(['alice', 'bob'], { threshold: 2, approvers: ['bob', 'carol'] })).toBe(
      false,
    );
  });

  it('counts exactly the distinct intersection (property)', () => {
    const name = fc.constantFrom('alice', 'bob', 'carol', 'dave', 'eve');
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 30 }),
        fc.uniqueArray(name),
        (votes, list: string[]) => {
          const counted = countedApprovers(votes, { approvers: list });
          expect(new Set(counted).size).toBe(counted.length);
          expect(counted.every((n) => list.includes(n))).toBe(true);
          expect(counted.length).toBe(new Set(votes.filter((v) => list.includes(v))).size);
        },
      ),
    );
  });
});
