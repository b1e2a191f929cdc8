import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time even on a 2-core machine (vitest's default there is one):
    // most files wait on child processes, fsyncs, sockets and timers, not the CPU. Measured
    // 2026-11-28 on 2 cores: the whole suite in 567 s with one worker, 363 s with two.
    maxWorkers: 2,
    // A worker thread the code under test starts from TypeScript source (the audit log's
    // tree check, src/audit/storage/tree-check.ts) runs the process's --import preloads;
    // this one lets it load TypeScript. src/ itself never names a loader.
    execArgv: ['--import', new URL('./tools/ts-worker-loader.mjs', import.meta.url).href],
  },
});
