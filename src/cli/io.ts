/** Where a CLI command writes; tests pass their own to capture output. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks a question on the terminal; absent when there is no terminal. */
  prompt?(question: string): Promise<string>;
}
