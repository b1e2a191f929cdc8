import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/index.js';
import {
  refLeafHash,
  refRoot,
  refVerifyConsistency,
  refVerifyInclusion,
} from './independent-verifier.js';
import { vectorPath } from '../helpers/paths.js';

interface V {
  id: string;
  kind: string;
  leaf_input_hex?: string;
  expected_leaf_hash_hex?: string;
  leaf_inputs_hex?: string[];
  expected_root_hex?: string;
  leaf_index?: number;
  tree_size?: number;
  proof_hex?: string[];
  size1?: number;
  size2?: number;
  root1_hex?: string;
  root2_hex?: string;
}
const { vectors } = JSON.parse(readFileSync(vectorPath('rfc6962.json'), 'utf8')) as {
  vectors: V[];
};
const of = (kind: string) => vectors.filter((v) => v.kind === kind).map((v) => [v.id, v] as const);

// The tests' own verifier must itself be right, or it proves nothing about the gateway.
describe('independent RFC 9162 verifier (against the RFC 6962 reference tree)', () => {
  it.each(of('leaf_hash'))('%s: leaf hash', (_id, v) => {
    expect(toHex(refLeafHash(fromHex(v.leaf_input_hex!)))).toBe(v.expected_leaf_hash_hex);
  });
  it.each(of('root'))('%s: root', (_id, v) => {
    expect(toHex(refRoot(v.leaf_inputs_hex!.map((l) => refLeafHash(fromHex(l)))))).toBe(
      v.expected_root_hex,
    );
  });
  it.each(of('inclusion'))('%s: accepts the proof, rejects it for a neighbour', (_id, v) => {
    const leaves = v.leaf_inputs_hex!.map((l) => refLeafHash(fromHex(l)));
    const proof = v.proof_hex!.map(fromHex);
    const root = fromHex(v.expected_root_hex!);
    const i = v.leaf_index!;
    expect(refVerifyInclusion(i, v.tree_size!, leaves[i]!, proof, root)).toBe(true);
    const other = leaves[(i + 1) % leaves.length]!;
    if (leaves.length > 1)
      expect(refVerifyInclusion(i, v.tree_size!, other, proof, root)).toBe(false);
    expect(refVerifyInclusion(v.tree_size!, v.tree_size!, leaves[i]!, proof, root)).toBe(false);
  });
  it.each(of('consistency'))('%s: accepts the proof, rejects swapped roots', (_id, v) => {
    const proof = v.proof_hex!.map(fromHex);
    const r1 = fromHex(v.root1_hex!);
    const r2 = fromHex(v.root2_hex!);
    expect(refVerifyConsistency(v.size1!, v.size2!, r1, r2, proof)).toBe(true);
    if (v.size1 !== v.size2)
      expect(refVerifyConsistency(v.size1!, v.size2!, r2, r1, proof)).toBe(false);
  });
});
