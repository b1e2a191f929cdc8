/**
 * The approval message of docs/protocol.md §5: the exact UTF-8 text an approver signs. The server
 * builds it once, from its own record of the pending deploy; the CLI parses and rebuilds it
 * to prove the server's text says nothing more and nothing other than its fields.
 */
import { ACTION, DEPLOY_ID, DIGEST_LABEL, ENVIRONMENT, TARGET } from '../protocol/grammar.js';

/** First line of every approval message. */
export const APPROVAL_MESSAGE_HEADER = 'codex-approval/v1';

/** Placeholder for `environment`/`artifact` when a quorum action carries no `deploy` block. */
export const NO_VALUE = '-';

/** The fields an approver signs, in message order. */
export interface ApprovalFields {
  readonly deploy: string;
  readonly action: string;
  readonly target: string;
  readonly environment: string;
  readonly artifact: string;
  /** `sha256:<hex>` of the raw event request body. */
  readonly request: string;
  /** Policy revision, `sha256:<hex>`. */
  readonly policy: string;
  /** Unix seconds. */
  readonly expires: number;
}

/**
 * Each field's allowed text. None admits a space, newline or other control character, so a
 * value can never smuggle an extra line or field into the signed text. They are the event
 * schema's own patterns (protocol/grammar.ts, docs/protocol.md §3).
 */
/** `pattern`, or the placeholder `-` ({@link NO_VALUE}). */
function orDash(pattern: RegExp): RegExp {
  return new RegExp(`^(?:-|${pattern.source.slice(1, -1)})$`);
}

const FIELD_PATTERNS: Readonly<Record<Exclude<keyof ApprovalFields, 'expires'>, RegExp>> = {
  deploy: DEPLOY_ID,
  action: ACTION,
  target: TARGET,
  environment: orDash(ENVIRONMENT),
  artifact: orDash(DIGEST_LABEL),
  request: DIGEST_LABEL,
  policy: DIGEST_LABEL,
};

const LINE_ORDER = [
  'deploy',
  'action',
  'target',
  'environment',
  'artifact',
  'request',
  'policy',
  'expires',
] as const satisfies readonly (keyof ApprovalFields)[];

/** Largest accepted `expires` (12 decimal digits, docs/protocol.md §0). */
const MAX_UNIX_SECONDS = 999_999_999_999;

/** Why `fields` cannot be put in a message, or undefined when every field is well formed. */
export function approvalFieldsProblem(fields: ApprovalFields): string | undefined {
  for (const [name, pattern] of Object.entries(FIELD_PATTERNS)) {
    const value: unknown = fields[name as keyof typeof FIELD_PATTERNS];
    if (typeof value !== 'string' || !pattern.test(value)) return `${name} is malformed`;
  }
  if (
    !Number.isSafeInteger(fields.expires) ||
    fields.expires < 0 ||
    fields.expires > MAX_UNIX_SECONDS
  )
    return 'expires is malformed';
  return undefined;
}

/**
 * Builds the approval message: nine lines, each (the last included) ending in `\n`.
 * @throws RangeError when a field is malformed (the caller's record is inconsistent).
 */
export function buildApprovalMessage(fields: ApprovalFields): string {
  const problem = approvalFieldsProblem(fields);
  if (problem !== undefined) throw new RangeError(`buildApprovalMessage: ${problem}`);
  let text = `${APPROVAL_MESSAGE_HEADER}\n`;
  for (const name of LINE_ORDER) text += `${name} ${String(fields[name])}\n`;
  return text;
}

/** Longest message a well-formed record can produce, with room to spare; bounds parsing work. */
export const MAX_APPROVAL_MESSAGE_LENGTH = 1024;

/**
 * Parses a message text (e.g. one shown by a server) back into its fields. Returns
 * undefined unless the text is exactly what `buildApprovalMessage` would produce for the
 * parsed fields: any extra line, missing newline, reordering or stray byte is refused.
 */
export function parseApprovalMessage(text: string): ApprovalFields | undefined {
  if (text.length > MAX_APPROVAL_MESSAGE_LENGTH || !text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== LINE_ORDER.length + 1 || lines[0] !== APPROVAL_MESSAGE_HEADER)
    return undefined;
  const values: Record<string, string> = {};
  for (const [i, name] of LINE_ORDER.entries()) {
    const line = lines[i + 1] ?? '';
    const prefix = `${name} `;
    if (!line.startsWith(prefix)) return undefined;
    values[name] = line.slice(prefix.length);
  }
  const expiresText = values['expires'] ?? '';
  if (!/^[0-9]{1,12}$/.test(expiresText)) return undefined;
  const fields: ApprovalFields = {
    deploy: values['deploy'] ?? '',
    action: values['action'] ?? '',
    target: values['target'] ?? '',
    environment: values['environment'] ?? '',
    artifact: values['artifact'] ?? '',
    request: values['request'] ?? '',
    policy: values['policy'] ?? '',
    expires: Number(expiresText),
  };
  if (approvalFieldsProblem(fields) !== undefined) return undefined;
  // Round trip: leading zeros in `expires` or any other non-canonical spelling is refused.
  return buildApprovalMessage(fields) === text ? fields : undefined;
}
