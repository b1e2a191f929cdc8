/**
 * Tiny `--name value` / `--flag` parser shared by the supply-chain scripts. Unknown options
 * are an error, so a typo (e.g. `--ofline`) can never silently change what a gate does.
 */
export function parseScriptArgs(
  argv: readonly string[],
  spec: { readonly values: readonly string[]; readonly flags: readonly string[] },
): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) positional.push(arg);
    else if (spec.flags.includes(arg)) flags.add(arg);
    else if (spec.values.includes(arg)) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      values.set(arg, value);
    } else throw new Error(`unknown option ${arg}`);
  }
  return { values, flags, positional };
}
