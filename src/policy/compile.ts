import { describeJsonSyntaxError } from '../json/syntax-error.js';
import type { z } from 'zod';
import { SSH_ED25519, sha256Hex } from '../crypto/index.js';
import { inspectJson } from '../events/event-schema.js';
import { MAX_BODY_DEPTH, findDuplicateKey } from '../json/duplicate-keys.js';
import type { ActivePolicy, QuorumRule } from './active-policy.js';
import { type ApproverKey, copyApproverKey, parseApproverKey } from './approver-key.js';
import { compileEmojiMatcher } from './emoji.js';
import { type CompiledRules, type ClientRule, evaluateEvent } from './evaluate.js';
import { jsonPath } from './json-path.js';
import { compilePatternSet } from './regex/pattern-set.js';
import { policySchema } from './schema.js';
import { semanticProblems } from './semantic-checks.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/** Largest policy file accepted, in bytes. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

export interface CompileOptions {
  /** Development mode: `*`-suffixed client keys (e.g. `dev-*`) match. Ignored otherwise. */
  readonly devMode: boolean;
  /** RFC 3339 time stamped on the revision if it becomes active. */
  readonly activatedAt: string;
}

export type CompileResult =
  | { readonly ok: true; readonly policy: ActivePolicy }
  | { readonly ok: false; readonly revision: string; readonly errors: readonly string[] };

/**
 * Validates and compiles the raw bytes of a policy file into one immutable revision.
 * Pure: the same bytes and options give the same result; the server and
 * `codex-gateway policy check` both call exactly this. Never throws for bad input:
 * every problem is returned as `json.path: message`.
 */
export function compilePolicy(bytes: Uint8Array, options: CompileOptions): CompileResult {
  const revision = `sha256:${sha256Hex(bytes)}`;
  const fail = (errors: string[]): CompileResult => ({ ok: false, revision, errors });
  if (bytes.length > MAX_POLICY_FILE_BYTES)
    return fail([`(root): file larger than ${MAX_POLICY_FILE_BYTES} bytes`]);

  let json: unknown;
  let text: string;
  try {
    text = decodeStrictUtf8(bytes);
  } catch {
    return fail(['(root): not valid UTF-8']);
  }
  try {
    json = JSON.parse(text);
  } catch (err) {
    // line:column, so the operator can go straight to the mistake in an editor.
    return fail([`(root): ${describeJsonSyntaxError(text, err)}`]);
  }
  const shape = inspectJson(json);
  if (shape.forbiddenKey)
    return fail(['(root): forbidden key (__proto__, constructor, prototype)']);
  if (shape.depth > MAX_BODY_DEPTH) return fail([`(root): nested deeper than ${MAX_BODY_DEPTH}`]);
  // JSON.parse keeps the last of two equal keys: a second "alice" or "rm_root" entry would
  // silently replace the first one the operator reads.
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return fail([`${duplicate}: duplicate key`]);

  const parsed = policySchema.safeParse(json);
  if (!parsed.success) return fail(parsed.error.issues.map(formatIssue));
  const doc = parsed.data;

  const errors = semanticProblems(doc);
  const patterns = compilePatternSet(doc.deny.patterns.map((p) => p.regex));
  if (!patterns.ok)
    for (const p of patterns.problems)
      errors.push(
        `${p.index < 0 ? 'deny.patterns' : jsonPath(['deny', 'patterns', p.index, 'regex'])}: ${p.message}`,
      );
  if (errors.length > 0 || !patterns.ok) return fail(errors);

  const clients = new Map<string, ClientRule>();
  const wildcards: [string, ClientRule][] = [];
  for (const [key, c] of Object.entries(doc.clients)) {
    const rule: ClientRule = { actions: new Set(c.actions), ratePerMinute: c.ratePerMinute };
    if (!key.endsWith('*')) clients.set(key, rule);
    // Wildcards exist for throw-away dev clients; in production they are ignored (docs/policy.md).
    else if (options.devMode) wildcards.push([key.slice(0, -1), rule]);
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);

  const rules: CompiledRules = {
    maxSteps: doc.maxSteps,
    clients,
    wildcards,
    patternNames: doc.deny.patterns.map((p) => p.name),
    patterns: patterns.set,
    emoji: compileEmojiMatcher(doc.deny.emoji),
  };
  const approvers = new Map<string, ApproverKey>();
  for (const [name, value] of Object.entries(doc.approvers)) {
    const parsed = parseApproverKey(value);
    // semanticProblems already refused every unparsable key; this only narrows the type.
    if (!parsed.ok) return fail([`${jsonPath(['approvers', name])}: ${parsed.problem}`]);
    approvers.set(name, parsed.key);
  }
  const approverNames = Object.freeze([...approvers.keys()]);
  const quorum = new Map<string, QuorumRule>(
    Object.entries(doc.quorum).map(([action, q]) => [
      action,
      Object.freeze({
        threshold: q.threshold,
        approvers: Object.freeze([...q.approvers]),
        ttlSeconds: q.ttlSeconds,
      }),
    ]),
  );
  const client = (id: string): ClientRule | undefined =>
    clients.get(id) ?? wildcards.find(([prefix]) => id.startsWith(prefix))?.[1];

  const policy: ActivePolicy = {
    revision,
    activatedAt: options.activatedAt,
    ratePerMinute: (clientId) => client(clientId)?.ratePerMinute,
    evaluate: (clientId, event, facts) => evaluateEvent(rules, client(clientId), event, facts),
    quorumFor: (action) => quorum.get(action),
    // Copies: callers must not be able to alter the revision's keys.
    approverKey: (name) => {
      const key = approvers.get(name)?.ssh;
      // A raw signature carries no FIDO user-presence proof, so an sk key never verifies one.
      return key?.type === SSH_ED25519 ? new Uint8Array(key.publicKey) : undefined;
    },
    approver: (name) => {
      const key = approvers.get(name);
      return key === undefined ? undefined : copyApproverKey(key);
    },
    approverNames,
  };
  return { ok: true, policy: Object.freeze(policy) };
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const nested = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  return `${jsonPath(issue.path)}: ${nested ?? message}`;
}
