/** Where a CLI command writes; tests pass their own to capture output. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks a question on the terminal; absent when there is no terminal. */
  prompt?(question: string): Promise<string>;
}

/**
 * Parses `--name value` and `--flag` options. Unknown options and missing values are
 * errors, so a typo never silently changes what a security command does.
 */
export function parseOptions(
  args: readonly string[],
  spec: { values?: readonly string[]; flags?: readonly string[]; repeatable?: readonly string[] },
): { values: Map<string, string[]>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (spec.flags?.includes(name)) {
      flags.add(name);
    } else if (spec.values?.includes(name) || spec.repeatable?.includes(name)) {
      const value = args[++i];
      if (value === undefined) throw new Error(`option --${name} needs a value`);
      if (values.has(name) && !spec.repeatable?.includes(name))
        throw new Error(`option --${name} given twice`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else {
      throw new Error(`unknown option --${name}`);
    }
  }
  return { values, flags, positional };
}
