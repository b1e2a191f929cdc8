import { toHex } from '../crypto/index.js';
import { NoteError, verifyCheckpoint, type NoteVerifier } from '../audit/checkpoint.js';
import { leafHash, verifyInclusion } from '../audit/merkle.js';
import { approvalFieldsProblem, buildApprovalMessage } from '../quorum/approval-message.js';
import { inspectJson } from '../events/event-schema.js';
import { MAX_BODY_DEPTH, findDuplicateKey } from '../json/duplicate-keys.js';
import { IN_TOTO_PAYLOAD_TYPE, verifyEnvelope } from '../provenance/dsse.js';
import { releaseStatementSchema, type ParsedReleaseStatement } from './statement-schema.js';
import { voteProblem, type TrustedPolicy } from './vote-check.js';
import { DIGEST_LABEL, HEX_32, digestLabelHex } from '../protocol/grammar.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/**
 * Offline verification of a release attestation (docs/protocol.md §10): the five checks, in order,
 * over nothing but the envelope, the artifact digest, the log's vkey and the verifier's own
 * trusted policy. No network, no gateway state; keys inside the attestation are never used.
 */

/** The five checks, numbered as in docs/protocol.md §10. */
export const RELEASE_CHECKS = ['envelope', 'subject', 'message', 'quorum', 'log'] as const;
export type ReleaseCheckName = (typeof RELEASE_CHECKS)[number];

/** Largest attestation accepted, in bytes (a real one is a few KiB). */
export const MAX_ATTESTATION_BYTES = 256 * 1024;

export interface VerifyReleaseInput {
  /** The envelope file's bytes or text, untrusted. */
  readonly attestation: Uint8Array | string;
  /** `sha256:<64 hex>`: the artifact about to be deployed. */
  readonly artifact: string;
  /** The audit log's verifier key (trusted, distributed out of band). */
  readonly vkey: NoteVerifier;
  /** The verifier's own trusted policy. */
  readonly policy: TrustedPolicy;
  readonly environment?: string | undefined;
  readonly target?: string | undefined;
}

/** What a passed verification established. */
export interface VerifiedRelease {
  readonly ok: true;
  readonly deploy: ParsedReleaseStatement['predicate']['deploy'];
  /** The distinct trusted approvers whose signatures verified, in statement order. */
  readonly approvers: readonly string[];
  /** The threshold of the TRUSTED policy's quorum. */
  readonly threshold: number;
  readonly log: { readonly origin: string; readonly index: number; readonly size: number };
}

/** The first check that failed, and why, in one line. */
export interface FailedRelease {
  readonly ok: false;
  /** 1..5 */
  readonly check: number;
  readonly name: ReleaseCheckName;
  readonly reason: string;
}

export type ReleaseVerification = VerifiedRelease | FailedRelease;

const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

/** `check N (name) failed: reason` — the line the CLI prints. */
export function describeReleaseFailure(f: FailedRelease): string {
  return `check ${f.check} (${f.name}) failed: ${f.reason}`;
}

/**
 * Runs the five checks of docs/protocol.md §10 and returns the first failure, or what was
 * verified. Never throws for anything in the attestation; throws TypeError only when the
 * caller's own `artifact` is not a digest label.
 */
export function verifyRelease(input: VerifyReleaseInput): ReleaseVerification {
  if (!DIGEST_LABEL.test(input.artifact))
    throw new TypeError('verifyRelease: artifact must be sha256:<64 lowercase hex>');
  const opened = openStatement(input);
  if (!opened.ok) return opened;
  const statement = opened.statement;
  const { deploy } = statement.predicate;
  const early = checkSubject(statement, input) ?? checkMessage(deploy);
  if (early !== undefined) return early;
  const votes = countVotes(statement, input);
  if (votes.failure !== undefined) return votes.failure;
  const log = checkLog(statement, input.vkey);
  if (!log.ok) return log;
  return {
    ok: true,
    deploy,
    approvers: votes.approvers,
    threshold: votes.threshold,
    log: { origin: statement.predicate.log.origin, index: statement.predicate.log.index, size: log.size },
  };
}

function fail(check: number, reason: string): FailedRelease {
  return { ok: false, check, name: RELEASE_CHECKS[check - 1] ?? 'envelope', reason };
}

/** Check 1: size, JSON, payload type, a DSSE signature by the vkey, a release statement. */
function openStatement(
  input: VerifyReleaseInput,
): { ok: true; statement: ParsedReleaseStatement } | FailedRelease {
  const size =
    typeof input.attestation === 'string'
      ? Buffer.byteLength(input.attestation, 'utf8')
      : input.attestation.length;
  if (size > MAX_ATTESTATION_BYTES)
    return fail(1, `attestation is larger than ${MAX_ATTESTATION_BYTES} bytes`);
  const envelope = parseStrictJson(input.attestation);
  if (typeof envelope === 'string') return fail(1, `attestation ${envelope}`);
  const opened = verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, input.vkey.publicKey);
  if (!opened.ok) return fail(1, opened.problem);
  const json = parseStrictJson(opened.payload);
  if (typeof json === 'string') return fail(1, `signed payload ${json}`);
  const parsed = releaseStatementSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    return fail(
      1,
      `signed payload is not a codex-gateway release statement (${where || 'statement'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return { ok: true, statement: parsed.data };
}

/**
 * Parses UTF-8 JSON refusing what two parsers could read differently: invalid UTF-8,
 * duplicate object keys (JSON.parse keeps the last, others the first) and deep nesting.
 * Returns the value, or a string saying why not (the value itself is never a string here:
 * a top-level JSON string is refused too).
 */
function parseStrictJson(input: Uint8Array | string): object | string {
  let text: string;
  let value: unknown;
  try {
    text = typeof input === 'string' ? input : decodeStrictUtf8(input);
    value = JSON.parse(text);
  } catch {
    return 'is not a UTF-8 JSON document';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'is not a JSON object';
  if (inspectJson(value).depth > MAX_BODY_DEPTH) return `is nested deeper than ${MAX_BODY_DEPTH}`;
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) return `has a duplicate key (${duplicate})`;
  return value;
}

/** Check 2: subject digest and deploy artifact, then environment and target when given. */
function checkSubject(s: ParsedReleaseStatement, input: VerifyReleaseInput): FailedRelease | undefined {
  const { deploy } = s.predicate;
  const wanted = digestLabelHex(input.artifact);
  if (s.subject.length !== 1) return fail(2, `statement has ${s.subject.length} subjects, not 1`);
  const subject = s.subject[0]!;
  if (subject.digest['sha256'] !== wanted)
    return fail(2, `subject digest is not ${input.artifact}`);
  if (deploy.artifact !== input.artifact)
    return fail(2, `deploy artifact ${deploy.artifact} is not ${input.artifact}`);
  if (subject.name !== deploy.target) return fail(2, 'subject name is not the deploy target');
  if (input.environment !== undefined && deploy.environment !== input.environment)
    return fail(2, `environment is ${deploy.environment}, not ${input.environment}`);
  if (input.target !== undefined && deploy.target !== input.target)
    return fail(2, `target is ${deploy.target}, not ${input.target}`);
  return undefined;
}

/** Check 3: `message` is exactly the §5 text rebuilt from the other deploy fields. */
function checkMessage(deploy: ParsedReleaseStatement['predicate']['deploy']): FailedRelease | undefined {
  if (!RFC3339_SECONDS.test(deploy.expiresAt))
    return fail(3, 'expiresAt is not an RFC 3339 time on a whole second');
  const ms = Date.parse(deploy.expiresAt);
  if (!Number.isFinite(ms) || new Date(ms).toISOString() !== deploy.expiresAt)
    return fail(3, 'expiresAt is not a valid time');
  const fields = {
    deploy: deploy.id,
    action: deploy.action,
    target: deploy.target,
    environment: deploy.environment,
    artifact: deploy.artifact,
    request: deploy.request,
    policy: deploy.policy,
    expires: ms / 1000,
  };
  const problem = approvalFieldsProblem(fields);
  if (problem !== undefined) return fail(3, `deploy ${problem}`);
  if (buildApprovalMessage(fields) !== deploy.message)
    return fail(3, 'message is not the codex-approval/v1 text of the deploy fields');
  return undefined;
}

/**
 * Check 4: at least `threshold` DISTINCT approvers of the TRUSTED policy's quorum for the
 * deploy's action signed `message`, each under the key that policy lists for the name.
 */
function countVotes(
  s: ParsedReleaseStatement,
  input: VerifyReleaseInput,
): { approvers: string[]; threshold: number; failure?: FailedRelease } {
  const { deploy, approvals } = s.predicate;
  const rule = input.policy.quorumFor(deploy.action);
  if (rule === undefined)
    return {
      approvers: [],
      threshold: 0,
      failure: fail(4, `the trusted policy sets no quorum for action ${deploy.action}`),
    };
  const eligible = new Set(rule.approvers);
  const counted: string[] = [];
  const refused: string[] = [];
  for (const vote of approvals) {
    if (counted.includes(vote.approver)) {
      refused.push(`${vote.approver} (counted once)`);
      continue;
    }
    if (!eligible.has(vote.approver)) {
      refused.push(`${vote.approver} (not in the trusted quorum)`);
      continue;
    }
    const problem = voteProblem(vote, deploy.message, input.policy);
    if (problem === undefined) counted.push(vote.approver);
    else refused.push(`${vote.approver} (${problem})`);
  }
  if (counted.length >= rule.threshold) return { approvers: counted, threshold: rule.threshold };
  const valid = counted.length === 0 ? 'none' : counted.join(', ');
  const others = refused.length === 0 ? '' : `; not counted: ${refused.join(', ')}`;
  return {
    approvers: counted,
    threshold: rule.threshold,
    failure: fail(
      4,
      `${rule.threshold} distinct trusted approvers required for ${deploy.action}, ` +
        `${counted.length} valid (${valid})${others}`,
    ),
  };
}

/**
 * Check 5: the leaf is the `allow` decision of this deploy, hashes to `leafHash`, and is
 * included in a checkpoint signed by the vkey.
 */
function checkLog(
  s: ParsedReleaseStatement,
  vkey: NoteVerifier,
): { ok: true; size: number } | FailedRelease {
  const { deploy, log } = s.predicate;
  let entry: unknown;
  try {
    entry = JSON.parse(log.leaf);
  } catch {
    return fail(5, 'log leaf is not JSON');
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return fail(5, 'log leaf is not a JSON object');
  const e = entry as Record<string, unknown>;
  if (e['type'] !== 'decision' || e['decision'] !== 'allow')
    return fail(5, 'log leaf is not an allow decision');
  if (e['deploy'] !== deploy.id) return fail(5, 'log leaf is the decision of another deploy');
  if (e['action'] !== deploy.action || e['target'] !== deploy.target || e['request'] !== deploy.request)
    return fail(5, 'log leaf names another action, target or request');
  if (toHex(leafHash(new TextEncoder().encode(log.leaf))) !== log.leafHash)
    return fail(5, 'leafHash is not the hash of the log leaf');
  if (log.origin !== vkey.name)
    return fail(5, `log origin ${log.origin} is not the vkey's origin ${vkey.name}`);
  let size: number;
  let root: Uint8Array;
  try {
    ({ size, root } = verifyCheckpoint(log.checkpoint, vkey));
  } catch (err) {
    const why = err instanceof NoteError ? err.message : 'malformed';
    return fail(5, `checkpoint is not signed by the vkey (${why})`);
  }
  if (log.index >= size) return fail(5, `checkpoint of size ${size} does not cover index ${log.index}`);
  if (!log.proof.every((h) => HEX_32.test(h)))
    return fail(5, 'inclusion proof is not a list of 64-hex hashes');
  const proof = log.proof.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
  const hash = new Uint8Array(Buffer.from(log.leafHash, 'hex'));
  if (!verifyInclusion(hash, log.index, size, proof, root))
    return fail(5, `inclusion proof does not hold for index ${log.index} in the checkpoint of size ${size}`);
  return { ok: true, size };
}
