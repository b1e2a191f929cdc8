/**
 * Rendering text that came from a server (or any other untrusted source) for a terminal.
 * A terminal obeys control characters: ESC sequences move the cursor and repaint lines,
 * CR and newline fake new lines, bidi controls reorder what is shown. So such characters
 * are never written raw; they are shown as visible escapes instead.
 */

/**
 * Every character that can change how the text around it is displayed: C0 controls
 * (newline and tab included), DEL, C1 controls, the Unicode line and paragraph separators,
 * and the bidirectional formatting characters.
 */
/* eslint-disable no-control-regex -- matching control characters is the point */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same set minus the newline, for whole output texts whose lines we wrote ourselves. */
const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One untrusted value (a name, an id, a message) made safe to print on one line: every
 * character of {@link UNSAFE} becomes `\xHH` / `\uHHHH`, and `\` itself becomes `\\`, so
 * the rendering is unambiguous (a server cannot send the text `\x1b` to look like an escape).
 */
export function escapeUntrusted(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNSAFE, visible);
}

/**
 * Untrusted text whose backslashes are meaningful as they are (a JSON body): every
 * character of {@link UNSAFE} is escaped, newlines included, backslashes are left alone.
 * Not unambiguous like {@link escapeUntrusted}, but byte-identical for honest JSON, which
 * never contains a raw control character.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * A whole output text made safe for a terminal: newlines are kept (they are the CLI's own
 * line breaks), every other unsafe character is escaped. Backslashes are left alone so
 * text already escaped by {@link escapeUntrusted} is not escaped twice. This is the last
 * line of defence at the output stream; values are escaped where they are formatted.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visible);
}

/** True when `text` holds a character {@link escapeUntrusted} would escape (besides `\`). */
export function hasUnsafeCharacters(text: string): boolean {
  return new RegExp(UNSAFE.source).test(text);
}
