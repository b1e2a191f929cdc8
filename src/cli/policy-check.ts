import { compilePolicy } from '../policy/compile.js';
import { readPolicyFile } from '../policy/policy-file.js';
import { parseOptions, type CliIo } from './io.js';

const USAGE = 'usage: codex-gateway policy check [--dev] FILE';

/**
 * `codex-gateway policy check FILE`: validates a policy file exactly as the server does
 * (same reader, same `compilePolicy`) so CI can refuse a policy change before it is
 * merged. Prints the revision and each approver's key fingerprint (as `ssh-keygen -l`
 * prints it) and exits 0, or prints every problem as `json.path: message` and exits 1;
 * exit 2 for usage errors. `--dev` compiles in development mode (wildcard
 * clients such as `dev-*` match); validity does not depend on it.
 */
export async function policyCheckCommand(args: readonly string[], io: CliIo): Promise<number> {
  let opts;
  try {
    opts = parseOptions(args, { flags: ['dev'] });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [file, ...extra] = opts.positional;
  if (file === undefined || extra.length > 0) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readPolicyFile(file);
  } catch (err) {
    io.err(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 1;
  }
  const result = compilePolicy(bytes, {
    devMode: opts.flags.has('dev'),
    activatedAt: new Date().toISOString(),
  });
  if (result.ok) {
    io.out(`${file}: ok ${result.policy.revision}\n`);
    // One line per approver, the key as `ssh-keygen -l` shows it ("256 SHA256:… (ED25519)"),
    // so an operator can compare it with the approver's own `ssh-keygen -l -f key.pub`.
    for (const name of result.policy.approverNames) {
      const key = result.policy.approver(name);
      if (key !== undefined) io.out(`  approver ${name}: 256 ${key.fingerprint} (${key.label})\n`);
    }
    return 0;
  }
  io.err(`${file}: invalid policy (${result.revision}), ${result.errors.length} problem(s):\n`);
  for (const e of result.errors) io.err(`  ${e}\n`);
  return 1;
}
