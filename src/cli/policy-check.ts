import { compilePolicy } from '../policy/compile.js';
import { explainPolicyPatterns } from '../policy/explain.js';
import { readPolicyFile } from '../policy/policy-file.js';
import type { CliCommand } from './command.js';
import type { CliIo } from './io.js';

/**
 * `codex-gateway policy check FILE`: validates a policy file exactly as the server does
 * (same reader, same `compilePolicy`) so CI can refuse a policy change before it is
 * merged. Prints the revision, each approver's key fingerprint (as `ssh-keygen -l`
 * prints it) and, for each deny pattern, a shortest example it matches or a warning that it
 * never matches event text or matches every event (warnings keep exit 0), and exits 0, or prints every problem as `json.path: message` and exits 1;
 * exit 2 for usage errors. `--dev` compiles in development mode (wildcard
 * clients such as `dev-*` match); validity does not depend on it.
 */
export const command: CliCommand = {
  name: 'policy check',
  summary: 'Validate a policy file exactly as the server would; print its revision.',
  options: {
    dev: { type: 'boolean', description: 'compile as in development mode (dev-* clients match)' },
  },
  positionals: { usage: 'FILE', min: 1, max: 1 },
  notes: 'exit 0 valid, 1 invalid or unreadable (every problem listed), 2 usage',
  run: async (args, io) => policyCheck(args.positionals[0]!, args.flag('dev'), io),
};

async function policyCheck(file: string, dev: boolean, io: CliIo): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readPolicyFile(file);
  } catch (err) {
    io.err(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 1;
  }
  const result = compilePolicy(bytes, {
    devMode: dev,
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
    // Each deny pattern with a shortest example it matches, generated from its automaton, and
    // a warning when it can never match event text or matches every event (still valid).
    for (const p of explainPolicyPatterns(bytes)) {
      if (p.example !== undefined)
        io.out(`  deny_pattern:${p.name} matches e.g. ${JSON.stringify(p.example)}\n`);
      if (p.warning !== undefined) io.out(`  warning: deny_pattern:${p.name} ${p.warning}\n`);
    }
    return 0;
  }
  io.err(`${file}: invalid policy (${result.revision}), ${result.errors.length} problem(s):\n`);
  for (const e of result.errors) io.err(`  ${e}\n`);
  return 1;
}
