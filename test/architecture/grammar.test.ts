import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { sourceFiles } from './import-graph.js';

/**
 * Shared grammar is defined once (docs/architecture.md): the patterns of the wire fields
 * live in src/protocol/grammar.ts and the byte comparison in src/crypto/compare.ts; any
 * other file under src/ that spells them again fails here.
 */
const GRAMMAR = 'src/protocol/grammar.ts';

const LITERALS: readonly { readonly name: string; readonly text: string; readonly home: string }[] =
  [
    { name: 'digest label', text: 'sha256:[0-9a-f]{64}', home: GRAMMAR },
    { name: 'deploy id', text: '[0-9a-f]{32,128}', home: GRAMMAR },
    { name: 'action', text: '[a-z][a-z0-9_.-]{0,63}', home: GRAMMAR },
    { name: 'target', text: '[A-Za-z0-9._/@:-]{1,200}', home: GRAMMAR },
    { name: 'hex of 32 bytes', text: '/^[0-9a-f]{64}$/', home: GRAMMAR },
    { name: 'hex of 64 bytes', text: '/^[0-9a-f]{128}$/', home: GRAMMAR },
    { name: 'hex', text: '/^(?:[0-9a-f]{2})*$/', home: GRAMMAR },
    { name: 'byte comparison', text: 'function equalBytes', home: 'src/crypto/compare.ts' },
  ];

const texts = new Map(
  sourceFiles('src').map((f) => [f, readFileSync(path.join(repoRoot, f), 'utf8')] as const),
);

describe('shared grammar', () => {
  it.each(LITERALS)('spells the $name pattern only in its home module', ({ text, home }) => {
    const elsewhere = [...texts].filter(([f, t]) => f !== home && t.includes(text)).map(([f]) => f);
    expect(elsewhere).toEqual([]);
  });

  it('keeps the patterns in the grammar module (the check above is not vacuous)', () => {
    const grammar = texts.get(GRAMMAR) ?? '';
    for (const { text, home } of LITERALS.filter((l) => l.home === GRAMMAR))
      expect(grammar.includes(text), `${text} in ${home}`).toBe(true);
  });

  it('has one constant-time byte comparison, in crypto/', () => {
    const helpers = [...texts].filter(([, t]) => /\btimingSafeEqual\(/.test(t)).map(([f]) => f);
    expect(helpers).toEqual(['src/crypto/compare.ts']);
  });
});
