import { isAscii } from 'node:buffer';

/**
 * True when every string that `JSON.parse` can produce from `body` (keys and values alike)
 * is printable ASCII, U+0020–U+007E: every byte is ASCII, none is a backslash (so no
 * string holds an escape) and none is DEL. JSON allows no raw character below U+0020 in a
 * string, so what stands between the quotes is then exactly those bytes.
 *
 * Three scans of native speed (simdutf, memchr) instead of one regular-expression pass per
 * string: the policy folds such strings by lower-casing alone (docs/protocol.md §4), and at
 * 64 KiB that pass was a tenth of the request (bench/README.md, issue 19).
 */
export function jsonStringsArePrintableAscii(body: Buffer): boolean {
  return isAscii(body) && body.indexOf(0x5c) === -1 && body.indexOf(0x7f) === -1;
}
