import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callgrindAvailable,
  callgrindControl,
  instructionTotals,
  selfInstructionsByFunction,
  startUnderCallgrind,
  // @ts-expect-error: a plain ESM module of the bench, without type declarations
} from '../../bench/callgrind.mjs';

// bench/micro/instructions.bench.mjs divides what these read by the requests it sent.
describe('bench callgrind helpers', () => {
  it('reads the main thread’s and all threads’ totals from `callgrind_control -e`', () => {
    const text = [
      'PID 14385: node -e let i=0',
      '',
      '  Totals:         Ir ',
      '   Th 1  800,758,418 ',
      '   Th 3       51,429 ',
      '   Th 12            7 ',
      '',
    ].join('\n');
    // Thread 12 is not thread 1: only the exact number is the main thread.
    expect(instructionTotals(text)).toEqual({ main: 800_758_418, all: 800_809_854 });
    // Before counting is first switched on, callgrind_control lists no thread.
    expect(instructionTotals('PID 14385: node\n\n  Totals: Ir\n')).toEqual({ main: 0, all: 0 });
  });

  it('sums self instructions per function from a dump, naming JIT code from the perf map', () => {
    // A dump as callgrind writes one: compressed names, a JIT address, a recursion level,
    // and call lines whose cost is the callee's inclusive cost.
    const dump = [
      'version: 1',
      'creator: callgrind-3.19.0',
      'positions: line',
      'events: Ir',
      'summary: 1111',
      '',
      'ob=(1) /usr/bin/node',
      'fl=(1) ???',
      'fn=(1) sha256_block_data_order_avx2',
      '0 300',
      'fn=(2) 0x000000000d1cee80',
      '0 100',
      '+3 20',
      'cfn=(1)',
      'calls=2 0',
      '0 300',
      'fn=(3) 0x000000000d1cef10',
      '* 7',
      "fn=(4) 0x000000000d1cee80'2",
      '0 80',
      'fn=(5) 0x0000000000000010',
      '0 4',
      'totals: 511',
    ].join('\n');
    const perfMap = [
      'd1cee00 100 JS:*contentReasons file:///app/dist/policy/evaluate.js:45:24',
      'd1cef00 40 JS:~contentReasons file:///app/dist/policy/evaluate.js:45:24',
      'not a line of the map',
    ].join('\n');
    expect(selfInstructionsByFunction(dump, perfMap)).toEqual([
      { name: 'sha256_block_data_order_avx2', instructions: 300 },
      // 100 + 20, + 80 at the recursion level, + 7 in the interpreted code of the same
      // function; not the 300 of the call, which are sha256's own.
      { name: 'JS contentReasons /app/dist/policy/evaluate.js:45:24', instructions: 207 },
      // An address the map does not cover keeps its name.
      { name: '0x0000000000000010', instructions: 4 },
    ]);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'codex-callgrind-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // valgrind is a bench tool, not the gateway's: without it this one case cannot run.
  it.skipIf(!callgrindAvailable())(
    'counts nothing until switched on, then the main thread’s work in proportion to it',
    async () => {
      // Each line on stdin hashes that many zero bytes: native code, whose count is the same
      // every time (JavaScript's would change as V8 compiles it).
      const script = [
        "process.stdin.setEncoding('utf8');",
        "const { createHash } = require('node:crypto');",
        "process.stdin.on('data', (d) => { for (const n of d.split('\\n').filter(Boolean)) {",
        "  const h = createHash('sha256').update(Buffer.alloc(Number(n))).digest('hex');",
        "  process.stdout.write(h + '\\n'); } });",
      ].join('\n');
      const child = startUnderCallgrind(['-e', script], {}, dir, ['pipe', 'pipe', 'ignore']);
      const lines: string[] = [];
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
      const run = async (iterations: number): Promise<void> => {
        const want = lines.length + 1;
        child.stdin.write(`${iterations}\n`);
        while (lines.length < want) await new Promise((r) => setTimeout(r, 20));
      };
      const main = (): number => instructionTotals(callgrindControl(dir, child.pid, '-e')).main;
      try {
        await run(1_000_000); // not counted
        expect(main()).toBe(0);
        callgrindControl(dir, child.pid, '--instr=on');
        await run(2_000_000);
        const once = main();
        await run(4_000_000);
        const twice = main() - once;
        expect(once).toBeGreaterThan(2_000_000);
        expect(twice / once).toBeGreaterThan(1.9);
        expect(twice / once).toBeLessThan(2.1);
      } finally {
        child.kill('SIGKILL');
      }
    },
    60_000,
  );
});
