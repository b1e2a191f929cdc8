/**
 * Output rendering for the CLI. Every string that came from a server is untrusted: it is
 * printed only through {@link shown} (or a grammar check), and every text the CLI writes
 * passes {@link terminalSafeIo} on its way to the terminal, so no control character (C0,
 * C1, DEL) is ever printed raw, on success and error paths alike.
 */
import { HttpClientError } from '../client/http.js';
import { escapeUntrusted, terminalSafe } from '../client/untrusted-text.js';
import type { CliIo } from './io.js';

/** An untrusted value rendered for one line of output (controls and `\` escaped). */
export function shown(value: string): string {
  return escapeUntrusted(value);
}

/**
 * The one-line reason of a failure, for a `FAILED:` line. HTTP client errors carry their own
 * safe line; any other error's message is escaped and cut, since it may quote input.
 */
export function failureReason(err: unknown): string {
  if (err instanceof HttpClientError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return escapeUntrusted(message.length > 300 ? `${message.slice(0, 300)}…` : message);
}

/** `io` with every write made terminal-safe (newlines kept, every other control escaped). */
export function terminalSafeIo(io: CliIo): CliIo {
  return {
    out: (text) => io.out(terminalSafe(text)),
    err: (text) => io.err(terminalSafe(text)),
    ...(io.prompt === undefined
      ? {}
      : { prompt: (question: string) => io.prompt!(terminalSafe(question)) }),
  };
}
