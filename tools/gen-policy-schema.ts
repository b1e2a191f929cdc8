/**
 * Writes policy/policy.schema.json from the zod schema (`npm run policy:schema`).
 * test/policy/json-schema.test.ts fails when the committed file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchemaText } from '../src/policy/json-schema.js';

const target = fileURLToPath(new URL('../policy/policy.schema.json', import.meta.url));
writeFileSync(target, policyJsonSchemaText());
console.log(`wrote ${target}`);
