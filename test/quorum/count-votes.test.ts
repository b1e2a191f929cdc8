import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countedApprovers, quorumReached } from '../../src/quorum/count-votes.js';
import { fakeKey, quorumOf, testVote } from './fixtures.js';

const quorum = quorumOf(2, ['alice', 'bob', 'carol']);
const votes = (...names: string[]) => names.map((n) => testVote(n));

describe('countedApprovers', () => {
  it('gives each listed approver at most one vote', () => {
    expect(countedApprovers(votes('alice', 'alice', 'alice'), quorum)).toEqual(['alice']);
    expect(quorumReached(votes('alice', 'alice'), quorum)).toBe(false);
  });

  it('ignores names outside the quorum list', () => {
    expect(countedApprovers(votes('mallory', 'alice', 'eve'), quorum)).toEqual(['alice']);
    expect(quorumReached(votes('mallory', 'alice', 'eve'), quorum)).toBe(false);
  });

  it('reaches the threshold with two distinct listed approvers', () => {
    expect(quorumReached(votes('bob', 'carol'), quorum)).toBe(true);
  });

  it('stops counting an approver the current list no longer holds', () => {
    expect(quorumReached(votes('alice', 'bob'), quorumOf(2, ['bob', 'carol']))).toBe(false);
  });

  it('stops counting a vote made with a key the current policy rotated out (§12)', () => {
    const rotated = quorumOf(2, ['alice', 'bob', 'carol'], { alice: fakeKey('alice', 2) });
    expect(countedApprovers(votes('alice', 'bob'), rotated)).toEqual(['bob']);
    expect(quorumReached(votes('alice', 'bob'), rotated)).toBe(false);
    // The same approver's vote under the new key counts (once).
    const renewed = [...votes('alice', 'bob'), testVote('alice', fakeKey('alice', 2))];
    expect(countedApprovers(renewed, rotated)).toEqual(['bob', 'alice']);
    expect(quorumReached(renewed, rotated)).toBe(true);
  });

  it('counts nothing for a listed name without a current key', () => {
    const keyless = { threshold: 1, approvers: ['alice'], keys: {} };
    expect(countedApprovers(votes('alice'), keyless)).toEqual([]);
  });

  it('counts exactly the distinct intersection (property)', () => {
    const name = fc.constantFrom('alice', 'bob', 'carol', 'dave', 'eve');
    fc.assert(
      fc.property(fc.array(name, { maxLength: 30 }), fc.uniqueArray(name), (names, list) => {
        const counted = countedApprovers(votes(...names), quorumOf(1, list));
        expect(new Set(counted).size).toBe(counted.length);
        expect(counted.every((n) => (list as string[]).includes(n))).toBe(true);
        expect(counted.length).toBe(new Set(names.filter((v) => list.includes(v))).size);
      }),
    );
  });
});
