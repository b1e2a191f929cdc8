import { z } from 'zod';
import { policySchema } from './schema.js';

/**
 * The JSON Schema of the policy file, derived from the zod schema (input side: fields with
 * defaults are optional), as the exact text committed at `policy/policy.schema.json`.
 */
export function policyJsonSchemaText(): string {
  const schema = {
    ...z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://codex-gateway.invalid/policy.schema.json',
    title: 'codex-gateway policy (docs/protocol.md §4)',
    description:
      'Validated exactly by `codex-gateway policy check FILE`; regex safety, approver keys and quorum references are checked there, not by this schema.',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
