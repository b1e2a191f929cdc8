import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';

/** One option of a command, as `util.parseArgs` takes it plus what `--help` shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias (`-y`). `h` is taken by `--help`. */
  readonly short?: string;
  /** May be given several times; `CommandArgs.strings` returns every value. */
  readonly multiple?: boolean;
  /** Placeholder for the value in the help text, e.g. `URL` (string options only). */
  readonly value?: string;
  /** One line for `--help`. */
  readonly description: string;
}

/** What a command's `run` receives: typed accessors over the parsed options. */
export interface CommandArgs {
  /** The value of a string option, or undefined when it was not given. */
  string(name: string): string | undefined;
  /** Every value of a `multiple` string option (empty when not given). */
  strings(name: string): string[];
  /** True when a boolean option was given. */
  flag(name: string): boolean;
  readonly positionals: readonly string[];
}

/**
 * A CLI command. One file exports one of these (`export const command: CliCommand`), and
 * one line in `main.ts` maps its words to that file. The runner parses the options with
 * Node's `util.parseArgs` (strict: unknown options and missing values are usage errors),
 * answers `--help`/`-h` from this description, and only then calls `run`.
 */
export interface CliCommand {
  /** The words that select it, e.g. `client add`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments: how the usage line shows them and how many are allowed. */
  readonly positionals?: { readonly usage: string; readonly min: number; readonly max: number };
  /** Extra help text after the options (environment, exit codes), lines without indent. */
  readonly notes?: string;
  /** Does the work; resolves to the exit code (0 ok, 1 failed, 2 usage; -1 keeps running). */
  run(args: CommandArgs, io: CliIo): Promise<number>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** The `--help` text of a command: usage line, summary, one line per option, notes. */
export function commandHelp(cmd: CliCommand): string {
  const options = { ...cmd.options, help: HELP_OPTION };
  const label = (name: string, o: OptionSpec): string =>
    `${o.short !== undefined ? `-${o.short}, ` : '    '}--${name}` +
    (o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : '');
  const rows = Object.entries(options).map(
    ([name, o]) => [label(name, o), o.description + (o.multiple ? ' (repeatable)' : '')] as const,
  );
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [
    `usage: codex-gateway ${cmd.name} [options]${cmd.positionals ? ` ${cmd.positionals.usage}` : ''}`,
    '',
    cmd.summary,
    '',
    'options:',
    ...rows.map(([l, d]) => `  ${l.padEnd(width)}${d}`),
  ];
  if (cmd.notes !== undefined) lines.push('', cmd.notes.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** Prints a usage problem and the hint to `--help`; returns exit code 2. */
export function usageError(io: CliIo, cmd: Pick<CliCommand, 'name'>, problem: string): number {
  io.err(`codex-gateway ${cmd.name}: ${problem}\n`);
  io.err(`run 'codex-gateway ${cmd.name} --help' for the options\n`);
  return 2;
}

/**
 * Parses `argv` for `cmd` and runs it: `--help`/`-h` anywhere (not as an option's value,
 * not after `--`) prints the help on stdout and exits 0 without running anything; a
 * parse error or a wrong number of positionals exits 2 with one line and a hint.
 */
export async function runCommand(
  cmd: CliCommand,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const options: Record<string, OptionSpec> = { ...cmd.options, help: HELP_OPTION };
  // A lenient pass first, so `--help` works even next to a mistake the user wants help on.
  const loose = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true });
  if (loose.values.help === true) {
    io.out(commandHelp(cmd));
    return 0;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    return usageError(io, cmd, parseProblem(err));
  }
  // parseArgs keeps the last of a repeated option; for a security tool a repeated --url or
  // --key is more likely a mistake than an override, so it is refused.
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || options[t.name]?.multiple === true) continue;
    if (seen.has(t.name)) return usageError(io, cmd, `option --${t.name} given twice`);
    seen.add(t.name);
  }
  const { min, max } = cmd.positionals ?? { min: 0, max: 0 };
  const got = parsed.positionals.length;
  if (got < min || got > max) {
    const want = cmd.positionals?.usage ?? 'no positional arguments';
    return usageError(
      io,
      cmd,
      got > max
        ? `unexpected argument '${parsed.positionals[max]}' (takes ${want})`
        : `missing ${want}`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const args: CommandArgs = {
    string: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : Array.isArray(v) ? v[v.length - 1] : undefined;
    },
    strings: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    },
    flag: (name) => values[name] === true,
    positionals: parsed.positionals,
  };
  return cmd.run(args, io);
}

/** parseArgs' error as one short line naming the option (its own text runs to three lines). */
function parseProblem(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^' ]*)/.exec(e.message ?? '')?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return /ambiguous/.test(e.message ?? '')
      ? `option ${option} needs a value (write ${option}=VALUE for a value starting with '-')`
      : `option ${option} ${/argument missing/.test(e.message ?? '') ? 'needs a value' : 'takes no value'}`;
  return (e.message ?? 'invalid arguments').split('\n')[0]!;
}
