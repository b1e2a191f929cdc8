import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchemaText } from '../../src/policy/json-schema.js';
import { repoRoot } from '../helpers/paths.js';

describe('policy/policy.schema.json', () => {
  it('is the current output of npm run policy:schema', () => {
    const committed: unknown = JSON.parse(
      readFileSync(path.join(repoRoot, 'policy/policy.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(policyJsonSchemaText()));
  });

  it('is referenced by the shipped policy so editors validate it', () => {
    const policy = JSON.parse(readFileSync(path.join(repoRoot, 'policy/policy.json'), 'utf8')) as {
      $schema?: string;
    };
    expect(policy.$schema).toBe('./policy.schema.json');
  });

  it('refuses unknown fields, like the server', () => {
    const schema = JSON.parse(policyJsonSchemaText()) as { additionalProperties?: boolean };
    expect(schema.additionalProperties).toBe(false);
  });
});
