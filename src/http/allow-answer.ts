import type { AuditReceipt } from '../audit/audit-log.js';

/**
 * The UTF-8 bytes of `JSON.stringify({ decision: 'allow', id, policy, audit })`, the body
 * of every 200 of `POST /v1/events`, built without stringifying the receipt as a whole.
 *
 * Why (bench/README.md, issue 19): the receipt's checkpoint note holds a non-Latin-1
 * character (the signature line's em dash), so the whole answer became a two-byte string:
 * `JSON.stringify` then appended the ~18 proof hashes on its slow path, `Buffer.byteLength`
 * scanned it for Content-Length and the socket write encoded it again. Here the hashes
 * (checked to be hex digits) and the ids (checked to need no JSON escaping) are joined as
 * they are; the checkpoint is JSON-encoded once per checkpoint (one per group-commit
 * batch, shared by its answers); and the bytes are written once. Anything the checks do not vouch for (a hash that is not
 * hex, a character that JSON escapes or any surrogate in an id, a non-integer index) takes
 * `JSON.stringify` of the whole answer, so the bytes are always exactly that
 * (test/http/allow-answer.test.ts).
 */
export function allowAnswerBytes(id: string, policy: string, audit: AuditReceipt): Buffer {
  const { index, leafHash, checkpoint, proof } = audit;
  const whole = (): Buffer =>
    Buffer.from(JSON.stringify({ decision: 'allow', id, policy, audit }), 'utf8');
  if (!isHexDigits(leafHash + proof.join('')) || NEEDS_CARE.test(id + policy)) return whole();
  if (!Number.isSafeInteger(index)) return whole();
  const head =
    `{"decision":"allow","id":"${id}","policy":"${policy}",` +
    `"audit":{"index":${index},"leafHash":"${leafHash}","checkpoint":`;
  const tail = `,"proof":${proof.length === 0 ? '[]' : `["${proof.join('","')}"]`}}}`;
  const note = checkpointJson(checkpoint);
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (3 * (head.length + tail.length) + note.length > scratch.length) return whole();
  let n = scratch.write(head, 0, 'utf8');
  n += note.copy(scratch, n);
  n += scratch.write(tail, n, 'utf8');
  const bytes = Buffer.allocUnsafe(n);
  scratch.copy(bytes, 0, 0, n);
  return bytes;
}

/**
 * A code unit `JSON.stringify` would not copy as is: `"`, `\`, a control character, or a
 * surrogate (a lone one is escaped; paired ones are refused here too, to keep the check
 * one class). Used on the two short ids only: a regex scan costs ~2–3 ns per character.
 */
// eslint-disable-next-line no-control-regex -- the control characters are the point
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * True when every code unit of `s` is a hex digit (either case: JSON copies both as is).
 * Node's hex decoder stops at the first pair holding anything else, so the count of
 * bytes it wrote tells; the ~1.2 KB of a receipt's hashes decode natively in about a
 * third of a regex scan's time.
 */
function isHexDigits(s: string): boolean {
  if (s.length % 2 !== 0 || s.length > 2 * scratch.length) return false;
  return scratch.write(s, 0, 'hex') * 2 === s.length;
}

/** Where one answer is assembled before it is copied out at its exact size. */
const scratch = Buffer.allocUnsafe(64 * 1024);

let lastCheckpoint: string | undefined;
let lastCheckpointJson = Buffer.alloc(0);

/** `JSON.stringify(checkpoint)` as UTF-8, remembered for the last checkpoint seen. */
function checkpointJson(checkpoint: string): Buffer {
  if (checkpoint !== lastCheckpoint) {
    lastCheckpointJson = Buffer.from(JSON.stringify(checkpoint), 'utf8');
    lastCheckpoint = checkpoint;
  }
  return lastCheckpointJson;
}
