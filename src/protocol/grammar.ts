/**
 * The text grammar of the wire contract's shared fields (docs/protocol.md §0, §3, §4),
 * defined once: the event schema, the approval message, the audit entries, the policy
 * schema, the OpenAPI document, the client and the CLI all import these patterns instead
 * of spelling them again. None admits a space, newline or other control character.
 *
 * The patterns carry no `g` or `y` flag, so sharing one RegExp object is safe (`test`
 * keeps no state between calls). `test/architecture/grammar.test.ts` checks that the
 * literals appear nowhere else under `src/`.
 */

/** Lowercase hex of any whole number of bytes (also the empty string). */
export const HEX = /^(?:[0-9a-f]{2})*$/;

/** 32 bytes as 64 lowercase hex characters (a SHA-256 digest, an Ed25519 public key). */
export const HEX_32 = /^[0-9a-f]{64}$/;

/** 64 bytes as 128 lowercase hex characters (an Ed25519 signature). */
export const HEX_64 = /^[0-9a-f]{128}$/;

/** A digest label, `sha256:<64 lowercase hex>` (request bodies, policy revisions, artifacts). */
export const DIGEST_LABEL = /^sha256:[0-9a-f]{64}$/;

/** The prefix of a digest label. */
export const DIGEST_PREFIX = 'sha256:';

/** A deploy id the gateway issued: 32 to 128 lowercase hex characters. */
export const DEPLOY_ID = /^[0-9a-f]{32,128}$/;

/** An event action, e.g. `deploy`, `build.finished` (docs/protocol.md §3). */
export const ACTION = /^[a-z][a-z0-9_.-]{0,63}$/;

/** An event target, e.g. `org/repo` or `registry:image@tag` (docs/protocol.md §3). */
export const TARGET = /^[A-Za-z0-9._/@:-]{1,200}$/;

/** A deploy environment name, e.g. `prod` (docs/protocol.md §3). */
export const ENVIRONMENT = /^[a-z][a-z0-9_-]{0,31}$/;

/** True when `s` is a digest label `sha256:<64 lowercase hex>`. */
export function isDigestLabel(s: string): boolean {
  return DIGEST_LABEL.test(s);
}

/** The 64 hex characters of a digest label, or undefined when `s` is not one. */
export function digestLabelHex(s: string): string | undefined {
  return DIGEST_LABEL.test(s) ? s.slice(DIGEST_PREFIX.length) : undefined;
}

/** The digest label of a lowercase hex SHA-256 digest. */
export function digestLabel(sha256Hex: string): string {
  return `${DIGEST_PREFIX}${sha256Hex}`;
}
