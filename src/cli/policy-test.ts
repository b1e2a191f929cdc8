import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ActivePolicy } from '../policy/active-policy.js';
import { compilePolicy } from '../policy/compile.js';
import { readPolicyFile } from '../policy/policy-file.js';
import {
  MAX_FIXTURE_FILE_BYTES,
  describeAnswer,
  parseFixtureFile,
  runPolicyTest,
  type PolicyTestCase,
} from '../policy/policy-tests.js';
import type { CliCommand } from './command.js';
import type { CliIo } from './io.js';
import { shown } from './render.js';
import { decodeStrictUtf8 } from '../json/strict-utf8.js';

/** The policy tested when `--policy` is not given (the server's default, docs/protocol.md §8). */
export const DEFAULT_POLICY_FILE = 'policy/policy.json';

/**
 * `codex-gateway policy test [--policy FILE] [FIXTURE...]` (docs/protocol.md §13): runs fixture
 * files against a policy compiled exactly as the server compiles it, and answers exactly
 * as `POST /v1/events` would decide (allow, deny with reasons, pending for a quorum).
 * Without fixture arguments it runs `tests/*.json` beside the policy file (so
 * `policy/tests/` for the default policy). Prints one line per failing test (file, name,
 * expected, got), then `N passed, N failed` alone on the last line; exit 0 when none
 * failed, 1 when one did, 2 on a usage or file error (nothing is run then).
 */
export const command: CliCommand = {
  name: 'policy test',
  summary: 'Run policy fixtures (expected decision and reasons) against a policy file.',
  options: {
    policy: {
      type: 'string',
      value: 'FILE',
      description: `the policy to test (default ${DEFAULT_POLICY_FILE})`,
    },
    dev: { type: 'boolean', description: 'compile as in development mode (dev-* clients match)' },
  },
  positionals: { usage: '[FIXTURE_FILE_OR_FOLDER...]', min: 0, max: 1000 },
  notes: [
    'Without fixture arguments, runs every *.json in the tests/ folder beside the policy file.',
    'A folder argument runs every *.json directly inside it, in name order.',
    'exit 0 all passed, 1 a test failed, 2 usage or file error (unreadable or invalid file)',
  ].join('\n'),
  run: async (args, io) =>
    policyTest(
      args.string('policy') ?? DEFAULT_POLICY_FILE,
      args.positionals,
      args.flag('dev'),
      io,
    ),
};

/** A fixture file that could not be used; the run stops with exit 2. */
class FileError extends Error {}

async function policyTest(
  policyFile: string,
  targets: readonly string[],
  dev: boolean,
  io: CliIo,
): Promise<number> {
  try {
    const policy = await loadPolicy(policyFile, dev);
    const files = await fixtureFiles(
      targets.length > 0 ? targets : [path.join(path.dirname(policyFile), 'tests')],
    );
    const suites: { file: string; tests: readonly PolicyTestCase[] }[] = [];
    for (const file of files) suites.push({ file, tests: await loadFixtures(file) });
    if (suites.every((s) => s.tests.length === 0))
      throw new FileError(`no tests found in ${files.map(shown).join(', ')}`);
    let passed = 0;
    let failed = 0;
    for (const { file, tests } of suites)
      for (const test of tests) {
        const result = runPolicyTest(policy, test);
        if (result.passed) {
          passed += 1;
          continue;
        }
        failed += 1;
        io.out(
          `FAIL ${shown(file)}: ${shown(test.name)}: expected ${describeAnswer(
            test.expect.decision,
            test.expect.reasons,
          )}; got ${describeAnswer(result.got.decision, result.got.reasons)}\n`,
        );
      }
    io.out(`${passed} passed, ${failed} failed\n`);
    return failed === 0 ? 0 : 1;
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    io.err(`codex-gateway policy test: ${err.message}\n`);
    return 2;
  }
}

async function loadPolicy(file: string, dev: boolean): Promise<ActivePolicy> {
  let bytes: Uint8Array;
  try {
    bytes = await readPolicyFile(file);
  } catch (err) {
    throw new FileError(`${shown(file)}: cannot read: ${errorCode(err)}`);
  }
  const result = compilePolicy(bytes, { devMode: dev, activatedAt: new Date().toISOString() });
  if (result.ok) return result.policy;
  throw new FileError(
    `${shown(file)}: invalid policy (${result.revision}):\n${result.errors.map((e) => `  ${e}`).join('\n')}`,
  );
}

/** The fixture files named by `targets`: files as given, folders as their `*.json` files. */
async function fixtureFiles(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(target)).isDirectory();
    } catch (err) {
      throw new FileError(`${shown(target)}: cannot read: ${errorCode(err)}`);
    }
    if (!isFolder) {
      files.push(target);
      continue;
    }
    const entries = await readdir(target, { withFileTypes: true });
    const found = entries
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => path.join(target, e.name))
      .sort();
    if (found.length === 0) throw new FileError(`${shown(target)}: no *.json fixture files`);
    files.push(...found);
  }
  return files;
}

async function loadFixtures(file: string): Promise<readonly PolicyTestCase[]> {
  let text: string;
  try {
    text = await readBounded(file);
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`${shown(file)}: cannot read: ${errorCode(err)}`);
  }
  const parsed = parseFixtureFile(text);
  if (!parsed.ok)
    throw new FileError(
      `${shown(file)}: invalid fixture file:\n${parsed.problems.map((p) => `  ${shown(p)}`).join('\n')}`,
    );
  return parsed.tests;
}

/** Reads a file as strict UTF-8, refusing more than MAX_FIXTURE_FILE_BYTES. */
async function readBounded(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_FIXTURE_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_FIXTURE_FILE_BYTES)
      throw new FileError(`${shown(file)}: larger than ${MAX_FIXTURE_FILE_BYTES} bytes`);
    try {
      return decodeStrictUtf8(buffer.subarray(0, length));
    } catch {
      throw new FileError(`${shown(file)}: not valid UTF-8`);
    }
  } finally {
    await handle.close();
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}
