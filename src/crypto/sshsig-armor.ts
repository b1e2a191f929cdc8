import { decodeCanonicalBase64 } from './ssh-wire.js';

/**
 * The armored form of an SSH signature (OpenSSH PROTOCOL.sshsig §1), exactly as
 * `ssh-keygen -Y sign` prints it: the header line, the base64 of the blob in lines of
 * equal width (OpenSSH: 70; the spec suggests 76) with a shorter last line, the footer,
 * and a final newline. Only `\n` line ends. Anything else — a missing or extra newline,
 * CR, spaces, text before or after, non-canonical base64 — is refused, so each blob has
 * few spellings and none can carry trailing garbage.
 */

/** First line of an armored SSH signature. */
export const SSHSIG_BEGIN = '-----BEGIN SSH SIGNATURE-----';
/** Last line of an armored SSH signature. */
export const SSHSIG_END = '-----END SSH SIGNATURE-----';

/** Longest armored signature accepted, in characters; real Ed25519 ones are about 400. */
export const MAX_SSHSIG_ARMOR_LENGTH = 2048;
/** Widest base64 line accepted (PROTOCOL.sshsig: SHOULD break every 76 characters). */
const MAX_LINE_WIDTH = 76;
/** Width `ssh-keygen` wraps at (sshbuf_dtob64). */
export const OPENSSH_ARMOR_WIDTH = 70;

/**
 * Decodes an armored signature to its blob, or undefined when the text is not exactly an
 * armored signature. Work is linear in the (bounded) input.
 */
export function dearmorSshSignature(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length > MAX_SSHSIG_ARMOR_LENGTH) return undefined;
  const head = `${SSHSIG_BEGIN}\n`;
  const tail = `\n${SSHSIG_END}\n`;
  if (!text.startsWith(head) || !text.endsWith(tail) || text.length < head.length + tail.length)
    return undefined;
  const lines = text.slice(head.length, text.length - tail.length).split('\n');
  const width = lines[0]!.length;
  if (width === 0 || width > MAX_LINE_WIDTH) return undefined;
  for (const [i, line] of lines.entries()) {
    const last = i === lines.length - 1;
    if (last ? line.length === 0 || line.length > width : line.length !== width) return undefined;
  }
  return decodeCanonicalBase64(lines.join(''));
}

/** Armors a signature blob the way `ssh-keygen -Y sign` does (70-character lines). */
export function armorSshSignature(blob: Uint8Array): string {
  const base64 = Buffer.from(blob).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += OPENSSH_ARMOR_WIDTH)
    lines.push(base64.slice(i, i + OPENSSH_ARMOR_WIDTH));
  return `${SSHSIG_BEGIN}\n${lines.join('\n')}\n${SSHSIG_END}\n`;
}
